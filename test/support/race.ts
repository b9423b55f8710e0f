import type { ShopperTokens } from "../../scripts/support/shopper-tokens";
import { inFlight, request } from "./http";
import type { TestEnv } from "./test-env";

export interface RaceResult {
  /** Every HTTP status each user was answered, in order, after pending ones settled. */
  readonly answers: Map<string, number[]>;
  /**
   * Final status per user for those answered 202: ISSUED or REJECTED, or
   * NOT_REQUESTED if the request was lost (only when Redis loses its data).
   */
  readonly settled: Map<string, string>;
  readonly statusCounts: Record<number, number>;
  /** Every request in the order answered: who, when sent and answered (ms), the status and problem code. */
  readonly timeline: readonly Answer[];
}

export interface Answer {
  readonly userId: string;
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly status: number;
  readonly code?: string;
}

/**
 * A crowd: `requests` issue requests from `users` distinct users (every user
 * at least once, the rest repeats), shuffled, `concurrency` in flight,
 * spread round-robin over `urls` (several app instances). Users answered 202
 * are then polled until their request is final.
 */
export async function race(
  urls: readonly string[],
  couponId: number,
  opts: {
    users: number;
    requests: number;
    concurrency: number;
    prefer?: string;
    settle?: boolean;
    firstUser?: number;
    /** Apps with SHOPPER_AUTH=jwt: every request (and status poll) carries its user's token. */
    tokens?: ShopperTokens;
  },
): Promise<RaceResult> {
  const userIds = Array.from({ length: opts.requests }, (_, i) => String((opts.firstUser ?? 1_000) + (i % opts.users)));
  shuffle(userIds);
  const answers = new Map<string, number[]>();
  const statusCounts: Record<number, number> = {};
  const timeline: Answer[] = [];
  const headers: Record<string, string> = opts.prefer ? { prefer: opts.prefer } : {};
  await inFlight(
    userIds.map((userId, i) => async () => {
      // A request that got no answer at all (a killed process) counts as status 0.
      const auth = await opts.tokens?.headers(userId);
      const sentAt = Date.now();
      const { status, code } = await request(`${urls[i % urls.length]}/coupons/${couponId}/issue`, { body: { userId }, headers: { ...headers, ...auth } }).then(
        (res) => ({ status: res.status, code: res.body?.code as string | undefined }),
        () => ({ status: 0, code: undefined }),
      );
      timeline.push({ userId, sentAt, answeredAt: Date.now(), status, code });
      statusCounts[status] = (statusCounts[status] ?? 0) + 1;
      const list = answers.get(userId) ?? [];
      list.push(status);
      answers.set(userId, list);
    }),
    opts.concurrency,
  );
  const settled = new Map<string, string>();
  const pending = opts.settle === false ? [] : [...answers].filter(([, s]) => s.includes(202)).map(([u]) => u);
  const deadline = Date.now() + 30_000;
  while (pending.length > 0 && Date.now() < deadline) {
    const stillPending: string[] = [];
    await inFlight(
      pending.map((userId) => async () => {
        const res = await request(`${urls[0]}/coupons/${couponId}/issuances/${userId}`, { headers: await opts.tokens?.headers(userId) });
        if (res.status === 200 && res.body.status !== "PENDING") settled.set(userId, res.body.status);
        else if (res.status === 404 && res.body.code === "NOT_REQUESTED") settled.set(userId, "NOT_REQUESTED");
        else stillPending.push(userId);
      }),
      50,
    );
    pending.splice(0, pending.length, ...stillPending);
    if (pending.length) await new Promise((r) => setTimeout(r, 100));
  }
  return { answers, settled, statusCounts, timeline };
}

/** What the ledger says: the rows of the coupon and its counter. */
export async function ledger(env: TestEnv, couponId: number) {
  const rows = await env.sql<{ userId: string }>(`SELECT "userId"::text AS "userId" FROM "UserCoupon" WHERE "couponId" = $1`, [
    couponId,
  ]);
  const [coupon] = await env.sql<{ issuedCount: number; totalQuantity: number }>(
    `SELECT "issuedCount", "totalQuantity" FROM "Coupon" WHERE id = $1`,
    [couponId],
  );
  return { userIds: rows.map((r) => r.userId), issuedCount: coupon!.issuedCount, totalQuantity: coupon!.totalQuantity };
}

/** Users told ISSUED: a 201, or a 202 that settled to ISSUED. */
export function toldIssued(result: RaceResult): Set<string> {
  const told = new Set<string>();
  for (const [userId, statuses] of result.answers) {
    if (statuses.includes(201) || result.settled.get(userId) === "ISSUED") told.add(userId);
  }
  return told;
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/** Fresh users buy until the coupon is sold out (bounded), so a sale can be finished after a fault. */
export async function finishSale(url: string, couponId: number, firstUser: number, maxUsers = 2_000): Promise<void> {
  for (let u = firstUser; u < firstUser + maxUsers; u += 50) {
    const answers = await inFlight(
      Array.from({ length: 50 }, (_, i) => () => request(`${url}/coupons/${couponId}/issue`, { body: { userId: u + i } })),
      50,
    );
    if (answers.every((a) => a.status === 409 && a.body.code === "SOLD_OUT")) return;
    if (answers.some((a) => a.status === 409 && a.body.code === "SOLD_OUT")) await new Promise((r) => setTimeout(r, 50));
  }
}

/** The users whose every answer was a 201 or 202 at least once, i.e. who may hold a row (docs/guarantees.md, promise 4). */
export function toldIssuedOrPending(result: RaceResult): Set<string> {
  return new Set([...result.answers].filter(([, s]) => s.includes(201) || s.includes(202)).map(([u]) => u));
}

/** Twenty new shoppers at once, each answer with how long it took (for "fast 503" checks during a fault). */
export function timedProbes(url: string, couponId: number) {
  return inFlight(
    Array.from({ length: 20 }, (_, i) => async () => {
      const userId = String(900_000 + i);
      const sentAt = Date.now();
      const res = await request(`${url}/coupons/${couponId}/issue`, { body: { userId } });
      const answeredAt = Date.now();
      return { userId, res, ms: answeredAt - sentAt, answer: { userId, sentAt, answeredAt, status: res.status, code: res.body?.code } as Answer };
    }),
    20,
  );
}

/**
 * After a fault: fresh shoppers (ids from `firstFresh` up) finish the sale,
 * and the ledger ends at exactly N and agrees with what the crowd was told
 * (docs/guarantees.md, promises 1–4): every user told ISSUED has a row, every row's user was told
 * ISSUED or PENDING. Queued work gets up to 15 s to land.
 */
export async function expectSaleEndsAtExactlyN(env: TestEnv, url: string, couponId: number, n: number, crowd: RaceResult, firstFresh = 500_000) {
  await finishSale(url, couponId, firstFresh);
  for (let i = 0; i < 150 && (await ledger(env, couponId)).userIds.length < n; i++) await new Promise((r) => setTimeout(r, 100));
  const rows = await ledger(env, couponId);
  expect(rows.userIds).toHaveLength(n);
  expect(rows.issuedCount).toBe(n);
  for (const u of toldIssued(crowd)) expect(rows.userIds).toContain(u);
  const mayHold = toldIssuedOrPending(crowd);
  for (const u of rows.userIds) if (Number(u) < firstFresh) expect(mayHold.has(u)).toBe(true);
}

/**
 * Users holding a row whose first request was sent after some shopper had
 * already been told SOLD_OUT (docs/guarantees.md: SOLD_OUT only when the places
 * are really taken). `timeline` is every answer seen (crowd and probes); rows of
 * users not in it are the fresh shoppers who finished the sale afterwards,
 * so they count as late arrivals too.
 */
export function issuedAfterSoldOut(timeline: readonly Answer[], rowUserIds: readonly string[]): string[] {
  const soldOutAt = Math.min(...timeline.filter((a) => a.code === "SOLD_OUT").map((a) => a.answeredAt));
  if (!Number.isFinite(soldOutAt)) return [];
  const firstSent = new Map<string, number>();
  for (const a of timeline) firstSent.set(a.userId, Math.min(firstSent.get(a.userId) ?? Infinity, a.sentAt));
  return rowUserIds.filter((u) => (firstSent.get(u) ?? Infinity) > soldOutAt);
}
