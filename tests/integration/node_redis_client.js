// Drives shardis with node-redis v4: connect, commands, a pipeline of many commands.
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
  await client.quit();
  console.log("ok");
}

main().catch((err) => { console.error(err); process.exit(1); });
