// Drives shardis with ioredis: connect (its ready check sends INFO), commands, a pipeline.
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
  assert.equal(await redis.ping(), "PONG");
  redis.disconnect();
  console.log("ok");
}

main().catch((err) => { console.error(err); process.exit(1); });
