// Drives shardis with ioredis: connect (its ready check sends INFO), commands, a pipeline,
// MSET/MGET/DEL over several servers and scanStream.
// Exits non-zero with a message on the first mismatch. Usage: node ioredis_client.js PORT
const assert = require("node:assert/strict");
const Redis = require("ioredis");

async function main() {
  const port = Number(process.argv[2]);
  const redis = new Redis({ host: "127.0.0.1", port, maxRetriesPerRequest: 0,
                            retryStrategy: () => null, enableOfflineQueue: true });
  assert.equal(await redis.ping(), "PONG");
  assert.equal(await redis.set("io:key", "value"), "OK");
  assert.equal(await redis.get("io:key"), "value");
  await redis.hset("io:hash", { a: "1", b: "2" });
  assert.deepEqual(await redis.hgetall("io:hash"), { a: "1", b: "2" });
  const pipeline = redis.pipeline();
  for (let i = 0; i < 1000; i++) pipeline.set(`io:${i}`, String(i));
  for (let i = 0; i < 1000; i++) pipeline.get(`io:${i}`);
  const results = await pipeline.exec();
  for (let i = 0; i < 1000; i++) {
    assert.deepEqual(results[i], [null, "OK"]);
    assert.deepEqual(results[1000 + i], [null, String(i)]);
  }
  await assert.rejects(redis.call("nosuchcmd"), /unknown command/);
  // Split commands and SCAN over every server.
  const keys = Array.from({ length: 300 }, (_, i) => `io:m:${i}`);
  assert.equal(await redis.mset(Object.fromEntries(keys.map((k, i) => [k, String(i)]))), "OK");
  assert.deepEqual(await redis.mget(...keys, "io:m:none"), [...keys.map((_, i) => String(i)), null]);
  const scanned = new Set();
  await new Promise((resolve, reject) => {
    const stream = redis.scanStream({ match: "io:m:*", count: 40 });
    stream.on("data", (batch) => batch.forEach((k) => scanned.add(k)));
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  assert.equal(scanned.size, keys.length);
  assert.equal(await redis.del(...keys), keys.length);
  assert.equal(await redis.ping(), "PONG");
  redis.disconnect();
  console.log("ok");
}

main().catch((err) => { console.error(err); process.exit(1); });
