// Drives pub/sub through shardis with ioredis: subscribe, psubscribe and ssubscribe on one
// subscriber connection, publish and spublish from another, the message/pmessage/smessage
// events, unsubscribing everything, and the connection back in normal mode.
// Exits non-zero with a message on the first mismatch.
// Usage: node ioredis_pubsub.js PORT CHANNEL_ON_S1 CHANNEL_ON_S2 CHANNEL_ON_S3 PATTERN
const assert = require("node:assert/strict");
const Redis = require("ioredis");

function collect(sub, n, ms) {
  const got = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${got.length} of ${n} events: ` +
                                                    JSON.stringify(got))), ms);
    const add = (event) => {
      got.push(event);
      if (got.length === n) {
        clearTimeout(timer);
        resolve(got);
      }
    };
    sub.on("message", (ch, m) => add(["message", ch, m]));
    sub.on("pmessage", (p, ch, m) => add(["pmessage", p, ch, m]));
    sub.on("smessage", (ch, m) => add(["smessage", ch, m]));
  });
}

async function main() {
  const [port, a, b, c, pattern] = [Number(process.argv[2]), ...process.argv.slice(3)];
  const options = { host: "127.0.0.1", port, maxRetriesPerRequest: 0, retryStrategy: () => null };
  const sub = new Redis(options);
  const pub = new Redis(options);
  assert.equal(await sub.subscribe(a, b, c), 3);
  assert.equal(await sub.psubscribe(pattern), 4);
  assert.equal(await sub.ssubscribe(b), 1);
  const events = collect(sub, 7, 5000);
  for (const ch of [a, b, c]) assert.equal(await pub.publish(ch, `to ${ch}`), 2);
  assert.equal(await pub.spublish(b, "shard"), 1);
  const sortKey = (e) => JSON.stringify(e);
  assert.deepEqual((await events).map(sortKey).sort(), [
    ["message", a, `to ${a}`], ["pmessage", pattern, a, `to ${a}`],
    ["message", b, `to ${b}`], ["pmessage", pattern, b, `to ${b}`],
    ["message", c, `to ${c}`], ["pmessage", pattern, c, `to ${c}`],
    ["smessage", b, "shard"]].map(sortKey).sort());
  assert.deepEqual(await pub.pubsub("NUMSUB", a, b, c), [a, 1, b, 1, c, 1]);
  assert.equal(await pub.pubsub("NUMPAT"), 1);
  // Named, since ioredis waits on an argument-less UNSUBSCRIBE for replies a shard channel
  // still held changes (it does the same against Redis).
  assert.equal(await sub.sunsubscribe(b), 0);  // shard channels count apart
  assert.equal(await sub.unsubscribe(a, b, c), 1);
  assert.equal(await sub.punsubscribe(pattern), 0);
  assert.equal(await pub.publish(a, "nobody"), 0);
  assert.equal(await sub.set(a, "normal mode"), "OK");  // ioredis left subscriber mode
  assert.equal(await sub.get(a), "normal mode");
  sub.disconnect();
  pub.disconnect();
}

setTimeout(() => {
  console.error("ioredis_pubsub.js: still running after 20 s");
  process.exit(2);
}, 20000).unref();

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
