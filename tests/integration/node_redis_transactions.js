// Drives MULTI/EXEC through shardis with node-redis v4 (RESP2): multi().exec() over keys on
// several servers, a runtime error (MultiErrorReply with the error in its slot), a
// queue-time error (EXECABORT), and WATCH on an isolated connection with a conflicting write
// (WatchError, nothing ran).
// Exits non-zero with a message on the first mismatch.
// Usage: node node_redis_transactions.js PORT KEY0 KEY1 KEY2 (keys on different servers)
const assert = require("node:assert/strict");
const { createClient, WatchError, MultiErrorReply } = require("redis");

async function main() {
  const port = Number(process.argv[2]);
  const [k0, k1, k2] = process.argv.slice(3, 6);
  const client = createClient({ socket: { host: "127.0.0.1", port, reconnectStrategy: false } });
  client.on("error", (err) => { console.error(err); process.exit(1); });
  await client.connect();

  assert.deepEqual(await client.multi().set(k0, "a").incr(k1).rPush(k2, ["x", "y"])
                     .get(k0).lRange(k2, 0, -1).exec(),
                   ["OK", 1, 2, "a", ["x", "y"]]);

  // A runtime error stays in its slot; the other commands run.
  const failed = await client.multi().incr(k0).set(k1, "b").get(k1).exec()
    .then(() => null, (err) => err);
  assert.ok(failed instanceof MultiErrorReply, String(failed));
  assert.deepEqual(failed.errorIndexes, [0]);
  assert.deepEqual(failed.replies.slice(1), ["OK", "b"]);

  // A queue-time error discards the whole transaction.
  await assert.rejects(client.multi().set(k2 + ":q", "v").addCommand(["NOSUCHCMD"]).exec(),
                       /EXECABORT/);
  assert.equal(await client.exists(k2 + ":q"), 0);

  // WATCH on an isolated connection; another client's write aborts the transaction.
  await client.executeIsolated(async (isolated) => {
    assert.equal(await isolated.watch(k0), "OK");
    assert.equal(await client.set(k0, "changed"), "OK");
    await assert.rejects(isolated.multi().set(k0, "mine").set(k1, "lost").exec(), WatchError);
    assert.equal(await isolated.watch(k0), "OK");
    assert.deepEqual(await isolated.multi().set(k0, "mine").del(k1).exec(), ["OK", 1]);
  });
  assert.deepEqual(await client.mGet([k0, k1]), ["mine", null]);

  const runs = [];
  for (let i = 0; i < 200; i++) runs.push(client.multi().incr(k1).incr(k2 + ":n").exec());
  const done = await Promise.all(runs);
  done.forEach((reply, i) => assert.deepEqual(reply, [i + 1, i + 1]));
  await client.quit();
  console.log("ok");
}

main().catch((err) => { console.error(err); process.exit(1); });
