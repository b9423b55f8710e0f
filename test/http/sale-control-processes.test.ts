import { spawnApp, type ChildApp } from "../support/child-app";
import { createCoupon, request } from "../support/http";
import { ledger } from "../support/race";
import { createTestEnv, type TestEnv } from "../support/test-env";

/**
 * Pause, resume and close take effect in every API process by the time the
 * operator has the answer (the README's bound: 0 s after the 200, well
 * inside the promised 1 s). Two real processes: the operator talks to one
 * while a crowd keeps buying through the other, whose coupon catalog is warm
 * (it has served the coupon just before). Every request the crowd sends
 * after the operator's answer must be refused.
 */
let env: TestEnv;
let a: ChildApp;
let b: ChildApp;

beforeAll(async () => {
  env = await createTestEnv();
  [a, b] = await Promise.all([spawnApp(env), spawnApp(env)]);
});
afterAll(async () => {
  for (const c of [a, b]) c?.kill("SIGKILL");
  await env?.dispose();
});

interface Sent {
  readonly userId: number;
  readonly sentAt: number;
  readonly status: number;
  readonly code: string | undefined;
}

/** Fresh shoppers buy through `url`, `concurrency` in flight, until `stop` resolves. */
async function crowd(url: string, couponId: number, firstUser: number, stop: Promise<unknown>, concurrency = 40): Promise<Sent[]> {
  let stopped = false;
  void stop.then(() => (stopped = true));
  const sent: Sent[] = [];
  let next = firstUser;
  const worker = async () => {
    // Bounded: a stop that never comes ends the crowd after 10,000 requests.
    while (!stopped && next < firstUser + 10_000) {
      const userId = next++;
      const sentAt = performance.now();
      const res = await request(`${url}/coupons/${couponId}/issue`, { body: { userId }, headers: { prefer: "wait=5" } });
      sent.push({ userId, sentAt, status: res.status, code: res.body?.code });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return sent;
}

/** Runs `action` through `operatorUrl` while a crowd buys through `crowdUrl`; the crowd keeps going 300 ms after the answer. */
async function duringCrowd(operatorUrl: string, crowdUrl: string, couponId: number, firstUser: number, action: string) {
  let ackAt = 0;
  const acted = (async () => {
    await new Promise((r) => setTimeout(r, 150)); // the crowd is in full flow
    const res = await request(`${operatorUrl}/coupons/${couponId}/${action}`, { method: "POST", operator: true });
    ackAt = performance.now();
    expect([action, res.status]).toEqual([action, 200]);
    await new Promise((r) => setTimeout(r, 300));
  })();
  const sent = await crowd(crowdUrl, couponId, firstUser, acted);
  await acted;
  return { before: sent.filter((s) => s.sentAt < ackAt), after: sent.filter((s) => s.sentAt > ackAt) };
}

const admitted = (s: Sent) => s.status === 201 || s.status === 202;

it.each(["redis-set", "queue", "lock", "postgres"])("%s: a pause, resume and close through one process hold at once in the other", async (strategy) => {
  const { id } = await createCoupon(a.url, { totalQuantity: 1_000_000, strategy });
  // Both processes know the coupon (catalog and Redis loaded) before the operator acts.
  for (const [app, userId] of [[a, 1], [b, 2]] as const) {
    const warm = await request(`${app.url}/coupons/${id}/issue`, { body: { userId }, headers: { prefer: "wait=5" } });
    expect(warm.status).toBe(201);
  }

  const pause = await duringCrowd(a.url, b.url, id, 10_000, "pause");
  expect(pause.before.some(admitted)).toBe(true);
  expect(pause.after.length).toBeGreaterThan(20);
  expect(pause.after.filter((s) => s.code !== "COUPON_PAUSED")).toEqual([]);

  const resume = await duringCrowd(b.url, a.url, id, 30_000, "resume");
  expect(resume.after.length).toBeGreaterThan(20);
  expect(resume.after.filter((s) => !admitted(s))).toEqual([]);

  const close = await duringCrowd(a.url, b.url, id, 50_000, "close");
  expect(close.after.length).toBeGreaterThan(20);
  expect(close.after.filter((s) => s.code !== "COUPON_ENDED")).toEqual([]);

  // Every shopper told ISSUED has a row, and every row belongs to a shopper told ISSUED or PENDING.
  const answers = [pause, resume, close].flatMap((p) => [...p.before, ...p.after]);
  const rows = new Set((await ledger(env, id)).userIds);
  const issued = answers.filter((s) => s.status === 201).map((s) => String(s.userId));
  const mayHold = new Set(["1", "2", ...answers.filter(admitted).map((s) => String(s.userId))]);
  expect(issued.filter((u) => !rows.has(u))).toEqual([]);
  expect([...rows].filter((u) => !mayHold.has(u))).toEqual([]);
});
