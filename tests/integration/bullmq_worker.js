// BullMQ through shardis (issue 15): a Worker is started first and left waiting for work
// (BZPOPMIN on the queue's marker key), then COUNT jobs are added; every job must run and
// come back with its result, and a QueueEvents listener (XREAD BLOCK on the events stream)
// must see every completion. All keys share the `{prefix}` hash tag, so they are on one
// server. Prints "ok <jobs> <events>"; exits non-zero with a message on failure or after
// 60 s.
// Usage: node bullmq_worker.js PORT COUNT PREFIX
const assert = require("node:assert/strict");
const { Queue, QueueEvents, Worker } = require("bullmq");

async function main() {
  const port = Number(process.argv[2]);
  const count = Number(process.argv[3]);
  const prefix = process.argv[4];
  const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
  const options = { connection, prefix };

  const done = new Set();
  let allDone;
  const finished = new Promise((resolve) => { allDone = resolve; });
  const worker = new Worker("jobs", async (job) => job.data.n * 2,
                            { ...options, concurrency: 4 });
  worker.on("completed", (job, result) => {
    assert.equal(result, job.data.n * 2);
    done.add(job.data.n);
    if (done.size === count) allDone();
  });
  worker.on("failed", (job, err) => { throw new Error(`job ${job.id} failed: ${err}`); });
  worker.on("error", (err) => { throw err; });
  const events = new QueueEvents("jobs", options);
  let completedEvents = 0;
  events.on("completed", () => { completedEvents += 1; });
  await worker.waitUntilReady();
  await events.waitUntilReady();
  // Let the worker reach its blocking wait before the first job exists.
  await new Promise((resolve) => setTimeout(resolve, 500));

  const queue = new Queue("jobs", options);
  for (let n = 0; n < count; n += 1) {
    await queue.add("double", { n });
  }
  await finished;
  const deadline = Date.now() + 10000;
  while (completedEvents < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(completedEvents, count, "QueueEvents saw every completion");
  const counts = await queue.getJobCounts("completed", "wait", "active", "failed");
  assert.deepEqual(counts, { completed: count, wait: 0, active: 0, failed: 0 });
  await worker.close();
  await events.close();
  await queue.close();
  console.log(`ok ${done.size} ${completedEvents}`);
}

setTimeout(() => { console.error("timed out after 60 s"); process.exit(2); }, 60000).unref();
main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
