import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { startRedisServer, type RedisServer } from "../../scripts/support/redis-server";
import { spawnApp, type ChildApp } from "../support/child-app";
import { createCoupon, inFlight, request, type Reply } from "../support/http";
import { ledger, race } from "../support/race";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";
import { createTestEnv, type TestEnv } from "../support/test-env";

/**
 * The sold-out crowd answered from memory, by real app processes sharing one
 * Redis and one database: no Redis commands for it, and a limit raise seen
 * by every process within the stated bound, whether its notice channel is
 * healthy or broken. A Redis of our own, so INFO commandstats counts only
 * what these processes send.
 */
const LIMIT = 40;
const RAISE = 25;
/** The stated bound for a broken channel: COUPON_EVENTS_STALE_MS, the default for A and B, the tightest tested for C. */
const DEFAULT_BOUND_MS = 1_000;
const C_BOUND_MS = 250;

let redis: RedisServer;
let probe: Redis;
let env: TestEnv;
let proxy: TcpProxy;
let a: ChildApp;
let b: ChildApp;
/** Listens for change notices through the proxy, which the tests break. */
let c: ChildApp;
/** The memory turned off: what a sold-out request costs without it. */
let control: ChildApp;
let nextUser = 1_000_000;

beforeAll(async () => {
  redis = await startRedisServer();
  probe = new Redis(redis.url);
  env = await createTestEnv({ REDIS_URL: redis.url });
  proxy = await startTcpProxy(redis.port);
  // Four processes on two shared cores: a starved one must not turn slow Redis answers into 503s.
  const slowHost = { REDIS_COMMAND_TIMEOUT_MS: "5000" };
  // Long enough that this test's own pauses never outlast it (confirming a sale is covered in test/unit).
  const longMemory = { ...slowHost, SOLD_OUT_MEMORY_TTL_MS: "10000" };
  [a, b, c, control] = await Promise.all([
    spawnApp(env, longMemory),
    spawnApp(env, longMemory),
    spawnApp(env, { ...longMemory, REDIS_EVENTS_URL: `redis://127.0.0.1:${proxy.port}`, COUPON_EVENTS_STALE_MS: String(C_BOUND_MS) }),
    spawnApp(env, { ...slowHost, SOLD_OUT_MEMORY_TTL_MS: "0" }),
  ]);
}, 60_000);
afterAll(async () => {
  for (const app of [a, b, c, control]) app?.kill("SIGKILL");
  await proxy?.close();
  probe?.disconnect();
  await env?.dispose();
  await redis?.stop();
});

const freshUsers = (n: number) => Array.from({ length: n }, () => String(nextUser++));

function issue(app: ChildApp, couponId: number, userId: string): Promise<Reply> {
  return request(`${app.url}/coupons/${couponId}/issue`, { body: { userId }, headers: { prefer: "wait=5" } });
}

const answerOf = (r: Reply) => `${r.status} ${r.body.code ?? r.body.status}`;

/** `users` shoppers never seen before, one request each, 50 in flight over every app. */
function freshCrowd(apps: readonly ChildApp[], couponId: number, users: number) {
  const firstUser = nextUser;
  nextUser += users;
  return race(
    apps.map((x) => x.url),
    couponId,
    { users, requests: users, concurrency: 50, prefer: "wait=5", firstUser },
  );
}

/** Sells the coupon out through both apps, with a crowd larger than the limit; resolves with the coupon and its winners. */
async function sellOut(apps: readonly ChildApp[], strategy: string): Promise<{ id: number; winners: string[] }> {
  const { id } = await createCoupon(a.url, { totalQuantity: LIMIT, strategy });
  await freshCrowd(apps, id, 200);
  const winners = (await ledger(env, id)).userIds;
  expect(winners).toHaveLength(LIMIT);
  return { id, winners };
}

/** Answers the app's memory gave, SOLD_OUT and ALREADY_ISSUED together. */
async function memoryAnswers(app: ChildApp): Promise<number> {
  const text = (await request(`${app.url}/metrics`)).body as string;
  return [...text.matchAll(/^coupon_sold_out_memory_answers_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

async function untrusted(app: ChildApp): Promise<number> {
  const text = (await request(`${app.url}/metrics`)).body as string;
  return Number(/^coupon_sold_out_memory_untrusted_total (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Sold-out requests until the app answers one from memory (it learns in the background after Redis says so). */
async function untilRemembered(app: ChildApp, couponId: number): Promise<void> {
  const before = await memoryAnswers(app);
  for (let i = 0; i < 100; i++) {
    expect(answerOf(await issue(app, couponId, freshUsers(1)[0]!))).toBe("409 SOLD_OUT");
    if ((await memoryAnswers(app)) > before) return;
    await sleep(10);
  }
  throw new Error(`${app.url} never answered from memory`);
}

/** Every command the server ran, by name (scripts' inner commands included), from INFO commandstats. */
async function commandCounts(): Promise<Map<string, number>> {
  const info = await probe.info("commandstats");
  return new Map([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}

/** Commands run while `work` ran, by name; INFO itself left out. */
async function commandsDuring(work: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await commandCounts();
  await work();
  const after = await commandCounts();
  const delta: Record<string, number> = {};
  for (const [name, calls] of after) if (name !== "info" && calls > (before.get(name) ?? 0)) delta[name] = calls - (before.get(name) ?? 0);
  return delta;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((x, y) => x + y, 0);

/**
 * Sends `n` requests to a sold-out coupon, spread over `apps`: a quarter from
 * its winners asking again, who must hear ALREADY_ISSUED, the rest from
 * fresh users, who must hear SOLD_OUT.
 */
async function soldOutBurst(apps: readonly ChildApp[], couponId: number, winners: readonly string[], n: number): Promise<void> {
  const again = Array.from({ length: n / 4 }, (_, i) => winners[i % winners.length]!);
  const users = [...again, ...freshUsers(n - again.length)].sort(() => Math.random() - 0.5);
  const answers = await inFlight(
    users.map((u, i) => () => issue(apps[i % apps.length]!, couponId, u)),
    50,
  );
  const tally: Record<string, number> = {};
  for (const r of answers) tally[answerOf(r)] = (tally[answerOf(r)] ?? 0) + 1;
  expect(tally).toEqual({ "409 SOLD_OUT": n - again.length, "409 ALREADY_ISSUED": again.length });
}

/**
 * Raises the limit through `via`, then asks `at` with one fresh shopper at a
 * time until one is admitted; resolves with how long after the raise was
 * acknowledged that took.
 */
async function raiseAndTimeFirstAdmission(via: ChildApp, at: ChildApp, couponId: number, boundMs: number): Promise<number> {
  const raised = await request(`${via.url}/coupons/${couponId}/limit`, { method: "PUT", body: { totalQuantity: LIMIT + RAISE }, operator: true });
  expect(raised.status).toBe(200);
  const acknowledged = performance.now();
  for (;;) {
    const sent = performance.now();
    const answer = await issue(at, couponId, freshUsers(1)[0]!);
    if (answer.status === 201) return performance.now() - acknowledged;
    expect(answerOf(answer)).toBe("409 SOLD_OUT");
    // A stale SOLD_OUT to a request sent after the bound had passed breaks the promise.
    expect(sent - acknowledged).toBeLessThan(boundMs);
  }
}

/** A crowd of hundreds on every app after the raise: the new places are all taken, and not one more. */
async function expectExactlyRaisedLimit(apps: readonly ChildApp[], couponId: number): Promise<void> {
  await freshCrowd(apps, couponId, 300);
  const rows = await ledger(env, couponId);
  expect(rows.userIds).toHaveLength(LIMIT + RAISE);
  expect(rows.issuedCount).toBe(LIMIT + RAISE);
}

it.each(["redis-set", "queue", "lock"])(
  "%s: two processes answer the sold-out crowd with no Redis commands, and see a limit raise within the bound",
  async (strategy) => {
    const { id, winners } = await sellOut([a, b], strategy);
    // Without the memory: what each sold-out request costs (the yardstick this test must beat by far).
    const without = await commandsDuring(() => soldOutBurst([control], id, winners, 200));
    // Just before the burst, so what they remember has not outlived its time: only confirmations go to Redis.
    await untilRemembered(a, id);
    await untilRemembered(b, id);
    // A winner whose row was still being written when a process read the
    // holders is asked about in Redis once; from then on that process knows.
    for (const app of [a, b]) for (const u of winners) expect(answerOf(await issue(app, id, u))).toBe("409 ALREADY_ISSUED");
    const before = (await memoryAnswers(a)) + (await memoryAnswers(b));
    const lapsedBefore = (await untrusted(a)) + (await untrusted(b));
    const started = performance.now();
    const withMemory = await commandsDuring(() => soldOutBurst([a, b], id, winners, 600));
    const seconds = (performance.now() - started) / 1_000;
    const answered = (await memoryAnswers(a)) + (await memoryAnswers(b)) - before;
    const lapsed = (await untrusted(a)) + (await untrusted(b)) - lapsedBefore;
    console.log(`${strategy}: ${answered} of 600 answered from memory in ${seconds.toFixed(2)} s; ${lapsed} asked Redis while a beat was late`);
    // Every other request is one the memory sent to Redis because its
    // channel's health had lapsed (beats late on a starved host): it never
    // answers on knowledge it cannot vouch for, and says so.
    // Besides, each process confirms the sale with Redis once every half SOLD_OUT_MEMORY_TTL_MS (10 s here).
    expect(600 - answered - lapsed).toBeLessThanOrEqual(2 * (Math.ceil(seconds / 5) + 1));
    expect(answered).toBeGreaterThanOrEqual(300);
    // What Redis runs anyway meanwhile: four processes' background work (the
    // sweeper's and the queue worker's ticks, beats), in as long a window.
    const idle = await commandsDuring(() => sleep(seconds * 1_000));
    console.log(
      `${strategy}: sold-out Redis commands per request without memory ${(total(without) / 200).toFixed(3)} ${JSON.stringify(without)}; ` +
        `with memory ${total(withMemory)} in ${seconds.toFixed(2)} s ${JSON.stringify(withMemory)}, idle ${total(idle)} ${JSON.stringify(idle)}`,
    );
    const perRequest = total(without) / 200;
    expect(perRequest).toBeGreaterThanOrEqual(4);
    // 600 requests without the memory would have cost about 3,000; with it,
    // only those it sent to Redis, and background ticks that landed in one
    // window and not the other.
    expect(total(withMemory) - total(idle)).toBeLessThanOrEqual(perRequest * lapsed + 60);

    // The notice, not the beats' bound, brings B round: on a healthy channel it arrives within milliseconds.
    const ms = await raiseAndTimeFirstAdmission(a, b, id, DEFAULT_BOUND_MS);
    console.log(`${strategy}: first admission at the other process ${ms.toFixed(1)} ms after the raise was acknowledged`);
    await expectExactlyRaisedLimit([a, b], id);
  },
);

it.each([
  ["cut", () => proxy.cut()],
  ["stalled", async () => proxy.delayReplies(60_000)],
] as const)("a process whose notice channel is %s asks Redis again: no stale SOLD_OUT beyond the bound", async (_fault, breakChannel) => {
  const { id } = await sellOut([a, c], "redis-set");
  await untilRemembered(c, id);
  await breakChannel();
  try {
    const ms = await raiseAndTimeFirstAdmission(a, c, id, C_BOUND_MS);
    // Requests sent after the bound were admitted (checked one by one above); this is how long it took.
    console.log(`channel ${_fault}: first admission at the broken process ${ms.toFixed(1)} ms after the raise was acknowledged`);
    await expectExactlyRaisedLimit([c], id);
  } finally {
    proxy.delayReplies(0);
    await proxy.restore();
  }
});
