// Bull (v4) through shardis (issue 16): delayed jobs and global events ride on pub/sub.
// A worker queue SUBSCRIBEs to `PREFIX:jobs:delayed`; a producer queue adds COUNT jobs delayed
// by 300 ms, and the script that stores each one PUBLISHes its due time there, so the worker
// sets its timer and runs the job on time. The worker's own polling (guardInterval) is set to
// 5 minutes, so a job runs within this script's bounds only if that message arrived. The
// producer follows completions with `global:completed` (a SUBSCRIBE to
// `PREFIX:jobs:completed`, published by the script that finishes a job). PREFIX carries a hash
// tag, so the queue's keys and channels are on one server.
// Prints "ok <completed> <global events>"; exits non-zero with a message on failure or after
// 30 s.
// Usage: node bull_delayed.js PORT COUNT PREFIX
const assert = require("node:assert/strict");
const Queue = require("bull");

function registered(queue, event) {
  return new Promise((resolve) => queue.once(`registered:${event}`, resolve));
}

async function main() {
  const port = Number(process.argv[2]);
  const count = Number(process.argv[3]);
  const prefix = process.argv[4];
  const options = { redis: { host: "127.0.0.1", port }, prefix,
                    settings: { guardInterval: 300000, stalledInterval: 300000 } };

  const worker = new Queue("jobs", options);
  const producer = new Queue("jobs", options);
  for (const q of [worker, producer]) q.on("error", (err) => fail(`queue error: ${err}`));
  const delayedSubscribed = registered(worker, "delayed");
  const done = new Map();
  worker.process(async (job) => {
    done.set(job.data.n, Date.now() - job.timestamp);
    return job.data.n * 2;
  });
  const completed = new Map();
  const completedSubscribed = registered(producer, "global:completed");
  producer.on("global:completed", (jobId, result) => completed.set(jobId, JSON.parse(result)));
  await Promise.all([delayedSubscribed, completedSubscribed]);

  const jobs = [];
  for (let n = 0; n < count; n += 1) {
    jobs.push(await producer.add({ n }, { delay: 300 }));
  }
  const deadline = Date.now() + 20000;
  while (completed.size < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(done.size, count, `delayed jobs run (guardInterval is 5 minutes): ${[...done]}`);
  assert.deepEqual(new Map(jobs.map((j) => [String(j.id), j.data.n * 2])), completed,
                   "global:completed for every job, with its result");
  for (const [n, waited] of done) assert.ok(waited >= 300, `job ${n} ran after ${waited} ms`);
  await producer.close();
  await worker.close();
  console.log(`ok ${done.size} ${completed.size}`);
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

setTimeout(() => fail("timed out after 30 s"), 30000).unref();
main().then(() => process.exit(0), (err) => fail(err.stack || String(err)));
