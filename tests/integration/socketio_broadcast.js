// socket.io with @socket.io/redis-adapter through shardis (issue 16): two socket.io servers,
// A and B, each with its own pub/sub pair of Redis clients connected to REDIS_PORT (shardis,
// or one redis-server to prove the script right), and socket.io-client sockets connected to
// each. What one server broadcasts must reach the sockets of the other, exactly once:
//   broadcast  io.emit from A, then from B: every socket of both servers; io.to(ROOM).emit
//              from A: every socket in ROOM on both servers and no other.
//   fetch      A's and B's fetchSockets() list the sockets of both servers. The adapter asks
//              the other servers over pub/sub and counts them with PUBSUB NUMSUB (classic) or
//              PUBSUB SHARDNUMSUB (sharded), so the count must be what Redis would say.
// ADAPTER is `classic` (createAdapter: PSUBSCRIBE socket.io#/#*, SUBSCRIBE, PUBLISH) or
// `sharded` (createShardedAdapter: SSUBSCRIBE, SPUBLISH); LIBRARY is `ioredis` or `redis`
// (node-redis v4). The sharded adapter's dynamic mode gives ROOM a channel of its own,
// `socket.io#/#ROOM#`; the classic adapter publishes to it too, caught by the pattern.
// Prints "ok" and exits 0; exits non-zero with a message on failure or after 45 s.
// Usage: node socketio_broadcast.js REDIS_PORT ADAPTER LIBRARY MODE ROOM PORT_A PORT_B
const assert = require("node:assert/strict");
const http = require("node:http");
const { Server } = require("socket.io");
const ioClient = require("socket.io-client");
const { createAdapter, createShardedAdapter } = require("@socket.io/redis-adapter");

const HOST = "127.0.0.1";
const SOCKETS_PER_SERVER = 3;  // the first two of each server join ROOM
const IN_ROOM = 2;

async function redisPair(library, port) {
  if (library === "ioredis") {
    const Redis = require("ioredis");
    const pub = new Redis({ host: HOST, port, maxRetriesPerRequest: 1, lazyConnect: true });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    return [pub, sub];
  }
  const { createClient } = require("redis");
  const pub = createClient({ socket: { host: HOST, port, reconnectStrategy: false } });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on("error", (err) => fail(`redis client: ${err}`));
  await Promise.all([pub.connect(), sub.connect()]);
  return [pub, sub];
}

async function socketServer(name, adapter, library, redisPort, port) {
  const [pub, sub] = await redisPair(library, redisPort);
  const make = adapter === "sharded" ? createShardedAdapter : createAdapter;
  const httpServer = http.createServer();
  const io = new Server(httpServer, { adapter: make(pub, sub) });
  io.on("connection", (socket) => {
    if (socket.handshake.query.room) socket.join(socket.handshake.query.room);
  });
  await new Promise((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(port, HOST, resolve);
  });
  return { name, io, httpServer, pub, sub, port };
}

// A socket.io-client socket that records every event it gets: received["event seq"] = count.
async function connectSocket(server, index, room) {
  const query = index < IN_ROOM ? { room } : {};
  const socket = ioClient(`http://${HOST}:${server.port}`,
                          { transports: ["websocket"], reconnection: false, query });
  socket.label = `${server.name}${index}`;
  socket.inRoom = index < IN_ROOM;
  socket.received = new Map();
  socket.onAny((event, seq) => {
    const key = `${event} ${seq}`;
    socket.received.set(key, (socket.received.get(key) || 0) + 1);
  });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  return socket;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(what, predicate, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function gotAny(socket, event) {
  for (const key of socket.received.keys()) if (key.startsWith(`${event} `)) return true;
  return false;
}

// The adapters subscribe without waiting for the confirmation, so a first broadcast may be
// published before the other server listens. Probe (an event of its own, every 100 ms) until
// every target socket has one; the counted broadcasts come after.
async function probe(what, emit, targets, event) {
  const deadline = Date.now() + 10000;
  let seq = 0;
  while (!targets.every((s) => gotAny(s, event))) {
    if (Date.now() > deadline) {
      const missing = targets.filter((s) => !gotAny(s, event)).map((s) => s.label);
      throw new Error(`${what}: no probe reached ${missing.join(", ")} in 10 s`);
    }
    emit(event, seq);
    seq += 1;
    await sleep(100);
  }
}

// Every target got `event seq` exactly once, and no other socket got it (after a pause long
// enough for a stray copy to show; the pause cannot make a right run fail).
async function expectDelivered(what, sockets, targets, event, seq) {
  const key = `${event} ${seq}`;
  await waitFor(`${what} at ${targets.map((s) => s.label).join(", ")}`,
                () => targets.every((s) => s.received.has(key)));
  await sleep(300);
  for (const s of sockets) {
    assert.equal(s.received.get(key) || 0, targets.includes(s) ? 1 : 0,
                 `${what}: copies of "${key}" at socket ${s.label}`);
  }
}

async function broadcast(a, b, sockets, room) {
  const onA = sockets.filter((s) => s.label.startsWith("A"));
  const onB = sockets.filter((s) => s.label.startsWith("B"));
  const inRoom = sockets.filter((s) => s.inRoom);
  await probe("A to B", (e, n) => a.io.emit(e, n), onB, "probe-a");
  await probe("B to A", (e, n) => b.io.emit(e, n), onA, "probe-b");
  await probe(`A to ${room} on B`, (e, n) => a.io.to(room).emit(e, n),
              inRoom.filter((s) => onB.includes(s)), "probe-room");

  a.io.emit("news", 1);
  await expectDelivered("io.emit from A", sockets, sockets, "news", 1);
  b.io.emit("news", 2);
  await expectDelivered("io.emit from B", sockets, sockets, "news", 2);
  a.io.to(room).emit("room-news", 3);
  await expectDelivered(`io.to(${room}).emit from A`, sockets, inRoom, "room-news", 3);
  b.io.to(room).emit("room-news", 4);
  await expectDelivered(`io.to(${room}).emit from B`, sockets, inRoom, "room-news", 4);
}

async function fetch(a, b, sockets, room) {
  const all = sockets.map((s) => s.id).sort();
  const inRoom = sockets.filter((s) => s.inRoom).map((s) => s.id).sort();
  for (const server of [a, b]) {
    const found = (await server.io.fetchSockets()).map((s) => s.id).sort();
    assert.deepEqual(found, all, `${server.name}.fetchSockets() lists the sockets of both`);
    const inRoomFound = (await server.io.in(room).fetchSockets()).map((s) => s.id).sort();
    assert.deepEqual(inRoomFound, inRoom, `${server.name}.in(${room}).fetchSockets()`);
  }
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

async function main() {
  const [redisPort, adapter, library, mode, room, portA, portB] = process.argv.slice(2);
  assert.ok(["classic", "sharded"].includes(adapter), `adapter ${adapter}`);
  assert.ok(["ioredis", "redis"].includes(library), `library ${library}`);
  assert.ok(["broadcast", "fetch"].includes(mode), `mode ${mode}`);
  const a = await socketServer("A", adapter, library, Number(redisPort), Number(portA));
  const b = await socketServer("B", adapter, library, Number(redisPort), Number(portB));
  const sockets = [];
  for (const server of [a, b]) {
    for (let i = 0; i < SOCKETS_PER_SERVER; i += 1) {
      sockets.push(await connectSocket(server, i, room));
    }
  }
  if (mode === "broadcast") await broadcast(a, b, sockets, room);
  else await fetch(a, b, sockets, room);
  for (const s of sockets) s.disconnect();
  for (const server of [a, b]) {
    server.io.close();
    await Promise.all([server.pub.quit(), server.sub.quit()]).catch(() => {});
  }
  console.log("ok");
}

setTimeout(() => fail("timed out after 45 s"), 45000).unref();
main().then(() => process.exit(0), (err) => fail(err.stack || String(err)));
