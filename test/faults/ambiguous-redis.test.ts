import { setTimeout as sleep } from "node:timers/promises";
import { spawnApp, type ChildApp } from "../support/child-app";
import { createCoupon, inFlight, request } from "../support/http";
import { expectSaleEndsAtExactlyN, issuedAfterSoldOut, ledger, race, timedProbes, type RaceResult } from "../support/race";
import { startRedisServer, type RedisServer } from "../../scripts/support/redis-server";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";
import { createTestEnv, type TestEnv } from "../support/test-env";

/**
 * Faults whose outcome is unknown to the app: Redis ran the command, or will
 * run it later, but the reply does not come in time. A stalled Redis
 * (SIGSTOP) keeps what it was sent and runs it when it wakes; a slow network
 * delivers commands at once and replies late. Either way the app must never
 * answer as if the command had not run: no shopper is told an error and
 * later issued, no place is lost to a caller who gave up (nobody arriving
 * after a SOLD_OUT is issued), and each 202 settles to the truth.
 */
let env: TestEnv;
let redis: RedisServer;
let proxy: TcpProxy;

beforeAll(async () => {
  redis = await startRedisServer();
  proxy = await startTcpProxy(redis.port);
  env = await createTestEnv({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
});
const children: ChildApp[] = [];
const track = (app: ChildApp) => (children.push(app), app);
afterEach(() => {
  redis.kill("SIGCONT");
  proxy.delayReplies(0);
  for (const c of children.splice(0)) c.kill("SIGKILL");
});
afterAll(async () => {
  await env?.dispose();
  await proxy?.close();
  await redis?.stop();
});

type Fault = { start(): void; end(): void };
const stall: Fault = { start: () => redis.kill("SIGSTOP"), end: () => redis.kill("SIGCONT") };
const slowReplies: Fault = { start: () => proxy.delayReplies(700), end: () => proxy.delayReplies(0) };

/** A crowd of 2,000 with three 0.9 s faults in it; 20 probes are timed during the first. */
async function faultsDuring(fault: Fault, app: ChildApp, couponId: number) {
  const crowd = race([app.url], couponId, { users: 2_000, requests: 2_000, concurrency: 100, settle: false });
  await sleep(100);
  let probes;
  for (let round = 0; round < 3; round++) {
    fault.start();
    try {
      const started = Date.now();
      if (round === 0) probes = await timedProbes(app.url, couponId);
      await sleep(Math.max(0, 900 - (Date.now() - started)));
    } finally {
      fault.end();
    }
    await sleep(300);
  }
  return { probes: probes!, result: await crowd };
}

/** Polls each user's status until it is final; the final status must agree with the ledger. */
async function expectEachPendingSettlesToTheTruth(url: string, couponId: number, userIds: readonly string[]) {
  const rows = new Set((await ledger(env, couponId)).userIds);
  await inFlight(
    userIds.map((userId) => async () => {
      let final: string | undefined;
      for (let i = 0; i < 100 && !final; i++) {
        const res = await request(`${url}/coupons/${couponId}/issuances/${userId}`);
        const status = res.status === 200 ? res.body.status : res.body.code;
        if (status !== "PENDING") final = status;
        else await sleep(100);
      }
      expect([userId, final]).toEqual([userId, rows.has(userId) ? "ISSUED" : expect.stringMatching(/^(NOT_REQUESTED|REJECTED)$/)]);
    }),
    20,
  );
}

async function expectNoFalseAnswers(app: ChildApp, couponId: number, result: RaceResult, probes: Awaited<ReturnType<typeof timedProbes>>) {
  await expectSaleEndsAtExactlyN(env, app.url, couponId, 400, result);
  const rows = (await ledger(env, couponId)).userIds;
  // A place held by a caller who gave up is never lost: the sale did not stop short.
  expect(issuedAfterSoldOut([...result.timeline, ...probes.map((p) => p.answer)], rows)).toEqual([]);
  // Nobody told 503 was issued on that request's account.
  const toldOnlyErrors = [...result.answers].filter(([, s]) => s.every((x) => x >= 500)).map(([u]) => u);
  for (const p of probes) if (p.res.status >= 500) toldOnlyErrors.push(p.userId);
  expect(rows.filter((u) => toldOnlyErrors.includes(u))).toEqual([]);
  const pending = [...new Set([...result.answers].filter(([, s]) => s.includes(202)).map(([u]) => u))];
  await expectEachPendingSettlesToTheTruth(app.url, couponId, [...pending, ...probes.filter((p) => p.res.status === 202).map((p) => p.userId)]);
}

describe.each([
  ["a stalled Redis (SIGSTOP: commands run late)", stall],
  ["Redis replies delayed 700 ms (commands run, answers come late)", slowReplies],
])("%s", (_name, fault) => {
  it.each(["redis-set", "queue"])("%s: answers 202 PENDING fast, loses no place, and each 202 settles to the truth", async (strategy) => {
    const app = track(await spawnApp(env));
    const { id } = await createCoupon(app.url, { totalQuantity: 400, strategy });
    const { probes, result } = await faultsDuring(fault, app, id);
    for (const { res, ms } of probes) {
      expect([res.status, res.body.status]).toEqual([202, "PENDING"]);
      expect(ms).toBeLessThan(1_000);
    }
    await expectNoFalseAnswers(app, id, result, probes);
    app.kill("SIGTERM");
    expect(await app.exited()).toBe(0);
  });

  it("lock: its admission check only reads, so 503 is the truth, fast, and nobody refused is issued", async () => {
    const app = track(await spawnApp(env));
    const { id } = await createCoupon(app.url, { totalQuantity: 400, strategy: "lock" });
    const { probes, result } = await faultsDuring(fault, app, id);
    for (const { res, ms } of probes) {
      expect([res.status, res.body.code]).toEqual([503, "UNAVAILABLE"]);
      expect(ms).toBeLessThan(1_000);
    }
    await expectNoFalseAnswers(app, id, result, probes);
    app.kill("SIGTERM");
    expect(await app.exited()).toBe(0);
  });
});
