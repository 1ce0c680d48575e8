// Drives a target with node-redis 6 over RESP3 (its default: it opens with HELLO 3): typed
// replies, split commands over every server, multi().exec(), pub/sub with commands while
// subscribed, and the client-side cache seeing an invalidation soon after another client's
// write. The package is installed under the npm alias "redis6" (package.json), beside
// node-redis 4. Exits non-zero with a message on the first mismatch.
// Usage: node node_redis6_client.js PORT KEY_ON_S1 KEY_ON_S2 KEY_ON_S3
const assert = require("node:assert/strict");
const { createClient } = require("redis6");

const INVALIDATION_DEADLINE_MS = 100;

function connectTo(port, extra = {}) {
  const client = createClient({ socket: { host: "127.0.0.1", port, reconnectStrategy: false },
                                ...extra });
  client.on("error", (err) => { console.error(err); process.exit(1); });
  return client.connect();
}

async function typedReplies(client, keys) {
  const hello = await client.sendCommand(["HELLO", "3"]);
  assert.equal(hello.proto, 3);  // a map, as an object
  assert.equal(hello.mode, "standalone");
  assert.match(await client.sendCommand(["CLIENT", "INFO"]), / resp=3\n?$/);
  for (const key of keys) {
    assert.equal(await client.set(key, "v"), "OK");
    assert.equal(await client.hSet(`{${key}}:h`, { a: "1", b: "2" }), 2);
    assert.deepEqual({ ...await client.hGetAll(`{${key}}:h`) }, { a: "1", b: "2" });
    assert.equal(await client.sAdd(`{${key}}:s`, ["x", "y"]), 2);
    assert.deepEqual([...await client.sMembers(`{${key}}:s`)].sort(), ["x", "y"]);
    assert.equal(await client.zAdd(`{${key}}:z`, { score: 1.5, value: "m" }), 1);
    assert.equal(await client.zScore(`{${key}}:z`, "m"), 1.5);
    assert.equal(await client.zScore(`{${key}}:z`, "none"), null);
  }
  assert.deepEqual(await client.mGet([...keys, "none"]), ["v", "v", "v", null]);
  assert.equal(await client.exists([...keys, "none"]), 3);
  assert.equal(await client.get("none"), null);
  assert.deepEqual(await client.configGet("maxmemory"), { maxmemory: "0" });
  assert.match(await client.info("server"), /redis_version:7\./);
  await assert.rejects(client.lPush(keys[0], "x"), /WRONGTYPE/);
}

async function transaction(client, keys) {
  const replies = await client.multi()
    .set(keys[0], "1").incrByFloat(keys[0], 0.5).hGetAll(`{${keys[1]}}:h`)
    .zScore(`{${keys[2]}}:z`, "m").get("none").del(keys).exec();
  assert.equal(replies[0], "OK");
  assert.equal(replies[1], "1.5");
  assert.deepEqual({ ...replies[2] }, { a: "1", b: "2" });
  assert.equal(replies[3], 1.5);
  assert.equal(replies[4], null);
  assert.equal(replies[5], 3);
}

async function pubsub(client, keys) {
  const subscriber = client.duplicate();
  subscriber.on("error", (err) => { console.error(err); process.exit(1); });
  await subscriber.connect();
  const got = [];
  let wake = null;
  for (const channel of keys) {
    await subscriber.subscribe(channel, (message, ch) => { got.push([ch, message]); wake?.(); });
  }
  // RESP3: ordinary commands on the subscribed connection.
  assert.equal(await subscriber.set(keys[1], "while-subscribed"), "OK");
  assert.equal(await subscriber.get(keys[1]), "while-subscribed");
  for (const channel of keys) assert.equal(await client.publish(channel, `to ${channel}`), 1);
  const deadline = Date.now() + 5000;
  while (got.length < keys.length && Date.now() < deadline) {
    await new Promise((resolve) => { wake = resolve; setTimeout(resolve, 100); });
  }
  assert.deepEqual(got.sort(), keys.map((k) => [k, `to ${k}`]).sort());
  await subscriber.unsubscribe();
  assert.equal(await subscriber.get(keys[1]), "while-subscribed");
  await subscriber.quit();
}

async function clientSideCache(port, client, keys) {
  const cached = await connectTo(port, { RESP: 3, clientSideCache: { ttl: 0, maxEntries: 0 } });
  const cache = cached.clientSideCache;
  for (const key of keys) {
    await client.set(key, "old");
    assert.equal(await cached.get(key), "old");
    assert.equal(await cached.get(key), "old");  // from the cache now
    const invalidated = new Promise((resolve) => {
      const listener = (k) => {
        if (k === null || String(k) !== key) return;
        cache.off("invalidate", listener);
        resolve(Date.now());
      };
      cache.on("invalidate", listener);
    });
    await client.set(key, "new");
    const written = Date.now();
    const when = await Promise.race([invalidated, new Promise((r) => setTimeout(r, 5000, null))]);
    assert.notEqual(when, null, `no invalidation for ${key}`);
    assert.ok(when - written < INVALIDATION_DEADLINE_MS, `invalidation after ${when - written} ms`);
    assert.equal(await cached.get(key), "new");
  }
  const stats = cache.stats();
  assert.ok(stats.hitCount >= keys.length, JSON.stringify(stats));
  await cached.quit();
}

async function main() {
  const [port, ...keys] = [Number(process.argv[2]), ...process.argv.slice(3)];
  assert.equal(keys.length, 3);
  const client = await connectTo(port);
  await typedReplies(client, keys);
  await transaction(client, keys);
  await pubsub(client, keys);
  await clientSideCache(port, client, keys);
  await client.quit();
  console.log("ok");
}

main().catch((err) => { console.error(err); process.exit(1); });
