// bee-queue through shardis (issue 16): job events and delayed jobs ride on pub/sub.
// A producer queue (getEvents) SUBSCRIBEs to `PREFIX:jobs:events`; a worker queue
// (activateDelayedJobs) SUBSCRIBEs to `PREFIX:jobs:earlierDelayed`. The worker reports
// progress (a PUBLISH) and finishes each job with MULTI ... PUBLISH EXEC; the producer must
// see every job's `progress` and `succeeded` events with the result. COUNT more jobs are
// delayed by 300 ms: storing one PUBLISHes its time on `earlierDelayed`, which is what makes
// the worker activate it (its own timer looks 20 minutes ahead). PREFIX carries a hash tag,
// so the queue's keys and channels are on one server. bee-queue talks through node-redis v3.
// Prints "ok <succeeded> <progress events>"; exits non-zero with a message on failure or
// after 30 s.
// Usage: node bee_queue_events.js PORT COUNT PREFIX
const assert = require("node:assert/strict");
const Queue = require("bee-queue");

async function main() {
  const port = Number(process.argv[2]);
  const count = Number(process.argv[3]);
  const prefix = process.argv[4];
  const redis = { host: "127.0.0.1", port };
  const producer = new Queue("jobs", { redis, prefix, isWorker: false, getEvents: true });
  const worker = new Queue("jobs", { redis, prefix, isWorker: true, getEvents: false,
                                     activateDelayedJobs: true, removeOnSuccess: false });
  for (const q of [producer, worker]) q.on("error", (err) => fail(`queue error: ${err}`));
  // ready() resolves once the SUBSCRIBEs are confirmed.
  await Promise.all([producer.ready(), worker.ready()]);
  worker.process(async (job) => {
    await job.reportProgress(50);
    return job.data.n * 2;
  });

  const succeeded = new Map();
  let progress = 0;
  const jobs = [];
  for (let n = 0; n < 2 * count; n += 1) {
    const job = producer.createJob({ n });
    if (n >= count) job.delayUntil(Date.now() + 300);
    job.on("progress", (p) => { assert.equal(p, 50); progress += 1; });
    job.on("succeeded", (result) => succeeded.set(n, result));
    jobs.push(await job.save());
  }
  const deadline = Date.now() + 20000;
  while (succeeded.size < 2 * count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const expected = new Map(jobs.map((j) => [j.data.n, j.data.n * 2]));
  assert.deepEqual(succeeded, expected, "a succeeded event with its result for every job "
                   + "(the delayed ones activated by the earlierDelayed message)");
  assert.equal(progress, 2 * count, "a progress event for every job");
  const counts = await producer.checkHealth();
  assert.equal(counts.succeeded, 2 * count);
  await worker.close(5000);
  await producer.close(5000);
  console.log(`ok ${succeeded.size} ${progress}`);
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

setTimeout(() => fail("timed out after 30 s"), 30000).unref();
main().then(() => process.exit(0), (err) => fail(err.stack || String(err)));
