// Express sessions stored through a target by connect-redis, set up the way its README shows
// (a RedisStore around a node-redis client, express-session with resave: false and
// saveUninitialized: false), the client being node-redis 6 (npm alias "redis6"), which speaks
// RESP3. Browsers are cookie jars over plain http on loopback. Covers: a login creating a
// session, reading and changing it across requests, express-session's touch (EXPIRE) for an
// unchanged session, regenerate (the old key goes), destroy, a request without a cookie
// storing nothing, and the store's SCAN/MGET/DEL methods (length, ids, all, clear) over keys
// on every server.
//
// The first session ids come from the command line (ids whose keys sit on s1, s2 and s3);
// later ones are random, as express-session makes them. The sessions of the given ids are
// left in place at the end so that the caller can find them on their servers.
// Prints "ok" and exits 0; on the first mismatch prints it and exits 1 (2 when too slow).
// Usage: node connect_redis_sessions.js PORT SID_ON_S1 SID_ON_S2 SID_ON_S3
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const http = require("node:http");
const { RedisStore } = require("connect-redis");
const express = require("express");
const session = require("express-session");
const { createClient } = require("redis6");

const PREFIX = "myapp:";
const MAX_AGE_S = 600;

function startApp(redisClient, idQueue) {
  const store = new RedisStore({ client: redisClient, prefix: PREFIX });
  const app = express();
  app.use(session({
    store,
    resave: false,
    saveUninitialized: false,
    secret: "keyboard cat",
    cookie: { maxAge: MAX_AGE_S * 1000 },
    // The given ids first, then ids shaped like express-session's own (24 random bytes).
    genid: () => idQueue.shift() ?? crypto.randomBytes(24).toString("base64url"),
  }));
  app.post("/login", (req, res) => {
    req.session.user = req.query.user;
    req.session.visits = 1;
    res.json({ sid: req.sessionID });
  });
  const signedIn = (req, res, next) => (req.session.user ? next() : res.sendStatus(401));
  app.get("/visit", signedIn, (req, res) => {
    req.session.visits += 1;
    res.json({ user: req.session.user, visits: req.session.visits });
  });
  app.get("/peek", signedIn, (req, res) => {  // changes nothing: express-session touches
    res.json({ user: req.session.user, visits: req.session.visits });
  });
  app.post("/regenerate", signedIn, (req, res, next) => {
    const user = req.session.user;
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.user = user;
      req.session.visits = 0;
      return res.json({ sid: req.sessionID });
    });
  });
  app.post("/logout", signedIn, (req, res, next) => {
    req.session.destroy((err) => (err ? next(err) : res.json({ done: true })));
  });
  return new Promise((resolve) => {
    const server = app.listen(0, "127.0.0.1", () => resolve({ server, store }));
  });
}

// One browser: keeps the session cookie the app sets and sends it back.
class Browser {
  constructor(port) {
    this.port = port;
    this.cookie = null;
  }

  request(method, path) {
    return new Promise((resolve, reject) => {
      const headers = this.cookie ? { cookie: this.cookie } : {};
      const req = http.request({ host: "127.0.0.1", port: this.port, method, path, headers },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk) => { body += chunk; });
          res.on("end", () => {
            const set = res.headers["set-cookie"]?.find((c) => c.startsWith("connect.sid="));
            if (set) this.cookie = set.split(";")[0];
            const json = body.startsWith("{");
            resolve({ status: res.statusCode, body: json ? JSON.parse(body) : body });
          });
        });
      req.on("error", reject);
      req.end();
    });
  }

  async json(method, path) {
    const reply = await this.request(method, path);
    assert.equal(reply.status, 200, `${method} ${path}: ${JSON.stringify(reply)}`);
    return reply.body;
  }
}

async function stored(redis, sid) {
  const raw = await redis.get(PREFIX + sid);
  return raw === null ? null : JSON.parse(raw);
}

async function assertTtl(redis, sid) {
  const ttl = await redis.ttl(PREFIX + sid);
  assert.ok(ttl > MAX_AGE_S - 30 && ttl <= MAX_AGE_S, `TTL of ${sid}: ${ttl}`);
}

async function login(port, redis, user) {
  const browser = new Browser(port);
  browser.sid = (await browser.json("POST", `/login?user=${user}`)).sid;
  assert.ok(browser.cookie, `no session cookie for ${user}`);
  assert.equal((await stored(redis, browser.sid)).user, user);
  await assertTtl(redis, browser.sid);
  return browser;
}

// Signing everyone out at once: store.clear() (SCAN on every server, then one DEL of keys on
// several servers) drops every session, and their cookies no longer sign in.
async function clearStale(port, redis, store) {
  const stale = [];
  for (const user of ["old1", "old2", "old3", "old4"]) stale.push(await login(port, redis, user));
  assert.equal(await store.length(), stale.length);
  await store.clear();
  assert.equal(await store.length(), 0);
  for (const browser of stale) assert.equal((await browser.request("GET", "/visit")).status, 401);
}

async function readAndTouch(redis, browsers) {
  for (const [i, browser] of browsers.entries()) {
    for (let visits = 2; visits <= 3; visits++) {
      assert.deepEqual(await browser.json("GET", "/visit"), { user: `user${i}`, visits });
    }
    assert.equal((await stored(redis, browser.sid)).visits, 3);
    // An unchanged session is touched: EXPIRE puts the TTL back to the cookie's max age.
    assert.equal(await redis.expire(PREFIX + browser.sid, 100), 1);
    assert.deepEqual(await browser.json("GET", "/peek"), { user: `user${i}`, visits: 3 });
    await assertTtl(redis, browser.sid);
  }
}

async function storeMethods(store, browsers) {
  const sids = browsers.map((b) => b.sid).sort();
  assert.equal(await store.length(), browsers.length);
  assert.deepEqual((await store.ids()).sort(), sids);
  const all = await store.all();  // MGET over every server's keys
  assert.deepEqual(all.map((s) => s.id).sort(), sids);
  assert.deepEqual(all.map((s) => s.user).sort(), browsers.map((_, i) => `user${i}`).sort());
}

async function regenerateAndDestroy(port, redis, browser, user) {
  const before = browser.sid;
  const oldCookie = browser.cookie;
  browser.sid = (await browser.json("POST", "/regenerate")).sid;
  assert.notEqual(browser.sid, before);
  assert.equal(await redis.exists(PREFIX + before), 0);
  const fresh = await stored(redis, browser.sid);
  assert.deepEqual([fresh.user, fresh.visits], [user, 0]);
  assert.deepEqual(await browser.json("GET", "/visit"), { user, visits: 1 });
  const thief = new Browser(port);
  thief.cookie = oldCookie;
  assert.equal((await thief.request("GET", "/visit")).status, 401);
  assert.deepEqual(await browser.json("POST", "/logout"), { done: true });
  assert.equal(await redis.exists(PREFIX + browser.sid), 0);
  assert.equal((await browser.request("GET", "/visit")).status, 401);
}

async function main() {
  const port = Number(process.argv[2]);
  const givenIds = process.argv.slice(3);
  assert.equal(givenIds.length, 3);
  const redisClient = createClient({ socket: { host: "127.0.0.1", port,
                                               reconnectStrategy: false } });
  redisClient.on("error", (err) => { console.error(err); process.exit(1); });
  await redisClient.connect();
  const idQueue = [];
  const { server, store } = await startApp(redisClient, idQueue);
  const appPort = server.address().port;

  await clearStale(appPort, redisClient, store);
  const anonymous = new Browser(appPort);
  assert.equal((await anonymous.request("GET", "/visit")).status, 401);
  assert.equal(anonymous.cookie, null);  // saveUninitialized: false, nothing stored
  assert.equal(await store.length(), 0);

  // Three sessions whose keys are on s1, s2 and s3, then three with random ids.
  idQueue.push(...givenIds);
  const browsers = [];
  for (let i = 0; i < 6; i++) {
    const id = givenIds[i];
    browsers.push(await login(appPort, redisClient, `user${i}`));
    if (id !== undefined) assert.equal(browsers[i].sid, id);
  }
  await readAndTouch(redisClient, browsers);
  await storeMethods(store, browsers);
  for (let i = 3; i < 6; i++) {
    await regenerateAndDestroy(appPort, redisClient, browsers[i], `user${i}`);
  }
  await storeMethods(store, browsers.slice(0, 3));

  server.close();
  await redisClient.quit();
  console.log("ok");
}

setTimeout(() => {
  console.error("connect_redis_sessions.js: still running after 30 s");
  process.exit(2);
}, 30000).unref();

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
