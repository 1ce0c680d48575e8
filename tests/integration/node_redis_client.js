// Drives shardis with node-redis v4: connect, commands, a pipeline of many commands,
// mSet/mGet/del over several servers, scanIterator and INFO.
// Exits non-zero with a message on the first mismatch. Usage: node node_redis_client.js PORT
const assert = require("node:assert/strict");
const { createClient } = require("redis");

async function main() {
  const port = Number(process.argv[2]);
  const client = createClient({ socket: { host: "127.0.0.1", port, reconnectStrategy: false } });
  client.on("error", (err) => { console.error(err); process.exit(1); });
  await client.connect();
  assert.equal(await client.ping(), "PONG");
  assert.equal(await client.set("nr:key", "value"), "OK");
  assert.equal(await client.get("nr:key"), "value");
  assert.equal(await client.incrBy("nr:n", 3), 3);
  const batch = client.multi();  // execAsPipeline sends no MULTI/EXEC
  for (let i = 0; i < 1000; i++) batch.set(`nr:${i}`, String(i));
  for (let i = 0; i < 1000; i++) batch.get(`nr:${i}`);
  const results = await batch.execAsPipeline();
  for (let i = 0; i < 1000; i++) {
    assert.equal(results[i], "OK");
    assert.equal(results[1000 + i], String(i));
  }
  // Split commands and SCAN over every server.
  const keys = Array.from({ length: 300 }, (_, i) => `nr:m:${i}`);
  assert.equal(await client.mSet(keys.map((k, i) => [k, String(i)])), "OK");
  assert.deepEqual(await client.mGet([...keys, "nr:m:none"]),
                   [...keys.map((_, i) => String(i)), null]);
  const scanned = new Set();
  for await (const key of client.scanIterator({ MATCH: "nr:m:*", COUNT: 40 })) scanned.add(key);
  assert.equal(scanned.size, keys.length);
  assert.equal(await client.del(keys), keys.length);
  assert.match(await client.info("server"), /redis_version:7\./);
  await client.quit();
  console.log("ok");
}

main().catch((err) => { console.error(err); process.exit(1); });
