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

const AFTER_ACK = 60;

interface Sent {
  readonly userId: number;
  readonly sentAt: number;
  readonly status: number;
  readonly code: string | undefined;
}

/** Fresh shoppers buy through `url`, `concurrency` in flight, until `stop` resolves; `sent` fills as answers come. */
async function crowd(url: string, couponId: number, firstUser: number, stop: Promise<unknown>, sent: Sent[], concurrency = 40): Promise<void> {
  let stopped = false;
  void stop.then(() => (stopped = true));
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
}

/**
 * Runs `action` through `operatorUrl` once a crowd buying through `crowdUrl`
 * is in full flow (its first answers are in); the crowd keeps going until
 * AFTER_ACK requests it sent after the operator's answer are answered.
 */
async function duringCrowd(operatorUrl: string, crowdUrl: string, couponId: number, firstUser: number, action: string, flowing: (s: Sent) => boolean) {
  let ackAt = 0;
  const sent: Sent[] = [];
  const acted = (async () => {
    const deadline = Date.now() + 10_000;
    while (sent.filter(flowing).length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const res = await request(`${operatorUrl}/coupons/${couponId}/${action}`, { method: "POST", operator: true });
    ackAt = performance.now();
    expect([action, res.status]).toEqual([action, 200]);
    // However slow the machine, judge at least AFTER_ACK requests sent after the answer.
    const until = Date.now() + 15_000;
    while (sent.filter((x) => x.sentAt > ackAt).length < AFTER_ACK && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  })();
  await crowd(crowdUrl, couponId, firstUser, acted, sent);
  await acted;
  return { before: sent.filter((s) => s.sentAt < ackAt), after: sent.filter((s) => s.sentAt > ackAt) };
}

const admitted = (s: Sent) => s.status === 201 || s.status === 202;

/**
 * What the crowd was told after the operator's answer: nobody issued (201);
 * a 202 (the admission's reply was lost, so it may have run) must settle as
 * anything but ISSUED; a 503 means the request changed nothing (the machine
 * is shared and Redis may be slow to answer); every other answer carries
 * `code`, and most answers must (so a service failing everything cannot pass).
 */
async function expectRefused(url: string, couponId: number, after: readonly Sent[], code: string): Promise<void> {
  expect(after.filter((s) => s.status === 201)).toEqual([]);
  expect(after.filter((s) => s.status !== 201 && s.status !== 202 && s.status !== 503 && s.code !== code)).toEqual([]);
  expect(after.filter((s) => s.code === code).length).toBeGreaterThanOrEqual(AFTER_ACK / 2);
  for (const s of after.filter((x) => x.status === 202)) {
    let final: string | undefined;
    for (let i = 0; i < 100 && (final === undefined || final === "PENDING"); i++) {
      const res = await request(`${url}/coupons/${couponId}/issuances/${s.userId}`);
      final = res.status === 404 ? res.body.code : res.body.status;
      if (final === "PENDING") await new Promise((r) => setTimeout(r, 100));
    }
    expect([s.userId, final]).not.toEqual([s.userId, "ISSUED"]);
  }
}

it.each(["redis-set", "queue", "lock", "postgres"])("%s: a pause, resume and close through one process hold at once in the other", async (strategy) => {
  const { id } = await createCoupon(a.url, { totalQuantity: 1_000_000, strategy });
  // Both processes know the coupon (catalog and Redis loaded) before the operator acts.
  for (const [app, userId] of [[a, 1], [b, 2]] as const) {
    const warm = await request(`${app.url}/coupons/${id}/issue`, { body: { userId }, headers: { prefer: "wait=5" } });
    expect(warm.status).toBe(201);
  }

  const pause = await duringCrowd(a.url, b.url, id, 10_000, "pause", admitted);
  expect(pause.before.some(admitted)).toBe(true);
  expect(pause.after.length).toBeGreaterThanOrEqual(AFTER_ACK);
  await expectRefused(b.url, id, pause.after, "COUPON_PAUSED");

  const resume = await duringCrowd(b.url, a.url, id, 30_000, "resume", (s) => s.code === "COUPON_PAUSED");
  expect(resume.after.length).toBeGreaterThanOrEqual(AFTER_ACK);
  // Resumed: everyone after the answer gets in (or is told 503, which changed nothing).
  expect(resume.after.filter((s) => !admitted(s) && s.status !== 503)).toEqual([]);
  expect(resume.after.filter(admitted).length).toBeGreaterThanOrEqual(AFTER_ACK / 2);

  const close = await duringCrowd(a.url, b.url, id, 50_000, "close", admitted);
  expect(close.after.length).toBeGreaterThanOrEqual(AFTER_ACK);
  await expectRefused(b.url, id, close.after, "COUPON_ENDED");

  // Every shopper told ISSUED has a row, and every row belongs to a shopper told ISSUED or PENDING.
  const answers = [pause, resume, close].flatMap((p) => [...p.before, ...p.after]);
  const rows = new Set((await ledger(env, id)).userIds);
  const issued = answers.filter((s) => s.status === 201).map((s) => String(s.userId));
  const mayHold = new Set(["1", "2", ...answers.filter(admitted).map((s) => String(s.userId))]);
  expect(issued.filter((u) => !rows.has(u))).toEqual([]);
  expect([...rows].filter((u) => !mayHold.has(u))).toEqual([]);
});
