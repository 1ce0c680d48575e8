// Drives MULTI/EXEC through shardis with ioredis: multi().exec() over keys on several
// servers, a runtime error in its slot, a queue-time error (EXECABORT), and WATCH with a
// conflicting write from a second connection (exec() resolves to null, nothing ran).
// Exits non-zero with a message on the first mismatch.
// Usage: node ioredis_transactions.js PORT KEY0 KEY1 KEY2 (keys on different servers)
const assert = require("node:assert/strict");
const Redis = require("ioredis");

function connect(port) {
  return new Redis({ host: "127.0.0.1", port, maxRetriesPerRequest: 0,
                     retryStrategy: () => null, enableOfflineQueue: true });
}

async function main() {
  const port = Number(process.argv[2]);
  const [k0, k1, k2] = process.argv.slice(3, 6);
  const redis = connect(port);
  const rival = connect(port);

  assert.deepEqual(await redis.multi().set(k0, "a").incr(k1).rpush(k2, "x", "y")
                     .get(k0).lrange(k2, 0, -1).exec(),
                   [[null, "OK"], [null, 1], [null, 2], [null, "a"], [null, ["x", "y"]]]);

  // A runtime error stays in its slot; the other commands run.
  const mixed = await redis.multi().incr(k0).set(k1, "b").lpush(k0, "z").get(k1).exec();
  assert.match(mixed[0][0].message, /not an integer/);
  assert.deepEqual(mixed[1], [null, "OK"]);
  assert.match(mixed[2][0].message, /WRONGTYPE/);
  assert.deepEqual(mixed[3], [null, "b"]);

  // A queue-time error discards the whole transaction.
  await assert.rejects(redis.multi().set(k2 + ":q", "v").call("nosuchcmd").exec(), /EXECABORT/);
  assert.equal(await redis.exists(k2 + ":q"), 0);

  // WATCH: a write by another client aborts; exec() resolves to null and nothing ran.
  assert.equal(await redis.watch(k0), "OK");
  assert.equal(await rival.set(k0, "changed"), "OK");
  assert.equal(await redis.multi().set(k0, "mine").set(k1, "lost").exec(), null);
  assert.equal(await redis.get(k0), "changed");
  assert.equal(await redis.get(k1), "b");
  // Without a conflict it commits, across servers.
  assert.equal(await redis.watch(k0), "OK");
  assert.deepEqual(await redis.multi().set(k0, "mine").del(k1).exec(),
                   [[null, "OK"], [null, 1]]);
  assert.deepEqual(await redis.mget(k0, k1), ["mine", null]);

  // Many transactions in flight on one connection, answered in order.
  const runs = [];
  for (let i = 0; i < 200; i++) runs.push(redis.multi().incr(k1).incr(k2 + ":n").exec());
  const done = await Promise.all(runs);
  done.forEach((reply, i) => assert.deepEqual(reply, [[null, i + 1], [null, i + 1]]));
  assert.equal(await redis.ping(), "PONG");
  redis.disconnect();
  rival.disconnect();
  console.log("ok");
}

main().catch((err) => { console.error(err); process.exit(1); });
