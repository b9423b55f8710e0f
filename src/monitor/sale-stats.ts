/**
 * What shoppers were answered, per coupon, in this process: counts by kind
 * and a latency histogram. The live dashboard shows them; /metrics does not
 * (a label per coupon would grow without end there).
 *
 * Bounded: at most MAX_COUPONS coupons are kept; a coupon that was quiet
 * longest makes room for a new one, so a crowd aimed at many coupons costs
 * a fixed amount of memory. The dashboard watches sales in progress, which
 * are the coupons answered most recently.
 */

export const ANSWER_KINDS = ["issued", "pending", "soldOut", "duplicate", "notOpen", "unavailable", "throttled", "failed"] as const;
export type AnswerKind = (typeof ANSWER_KINDS)[number];

/** Upper bounds (seconds) of the latency buckets; a last, unbounded one follows. */
export const LATENCY_BOUNDS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface CouponAnswers {
  /** Since this process started. */
  readonly answers: Readonly<Record<AnswerKind, number>>;
  /** Answers of about the last minute per latency bucket (not cumulative), LATENCY_BOUNDS.length + 1 of them. */
  readonly recentLatency: readonly number[];
}

/** Per coupon id; plain JSON, so it crosses the cluster's IPC channel as it is. */
export type SaleStatsSnapshot = Readonly<Record<string, CouponAnswers>>;

const MAX_COUPONS = 1_000;

/**
 * "The last minute" is the last SLOTS slots of SLOT_MS each: a slot is
 * reused once its time is past, so the window slides by a slot at a time
 * and costs a fixed amount per coupon. Slots are numbered by wall-clock
 * time, so workers' snapshots line up when summed.
 */
const SLOT_MS = 10_000;
const SLOTS = 6;

interface Entry {
  answers: Record<AnswerKind, number>;
  /** Per slot: its number (time / SLOT_MS) and its latency buckets. */
  slots: { n: number; buckets: number[] }[];
}

const emptyBuckets = () => new Array<number>(LATENCY_BOUNDS.length + 1).fill(0);
const emptyAnswers = () => Object.fromEntries(ANSWER_KINDS.map((k) => [k, 0])) as Record<AnswerKind, number>;
const emptyEntry = (): Entry => ({
  answers: emptyAnswers(),
  slots: Array.from({ length: SLOTS }, () => ({ n: -1, buckets: emptyBuckets() })),
});

export class SaleStats {
  /** In order of last answer, oldest first (a Map keeps insertion order). */
  private readonly coupons = new Map<number, Entry>();

  constructor(
    private readonly maxCoupons = MAX_COUPONS,
    private readonly now: () => number = Date.now,
  ) {}

  record(couponId: number, kind: AnswerKind, seconds: number): void {
    let entry = this.coupons.get(couponId);
    if (entry) this.coupons.delete(couponId);
    else {
      if (this.coupons.size >= this.maxCoupons) this.coupons.delete(this.coupons.keys().next().value!);
      entry = emptyEntry();
    }
    this.coupons.set(couponId, entry);
    entry.answers[kind]++;
    const n = Math.floor(this.now() / SLOT_MS);
    const slot = entry.slots[n % SLOTS]!;
    if (slot.n !== n) {
      slot.n = n;
      slot.buckets.fill(0);
    }
    slot.buckets[bucketOf(seconds)]!++;
  }

  snapshot(): SaleStatsSnapshot {
    const oldest = Math.floor(this.now() / SLOT_MS) - SLOTS + 1;
    const out: Record<string, CouponAnswers> = {};
    for (const [id, e] of this.coupons) {
      const recentLatency = emptyBuckets();
      for (const slot of e.slots) if (slot.n >= oldest) slot.buckets.forEach((c, i) => (recentLatency[i]! += c));
      out[id] = { answers: { ...e.answers }, recentLatency };
    }
    return out;
  }
}

/** The answers of several processes, summed per coupon. */
export function mergeSaleStats(snapshots: readonly SaleStatsSnapshot[]): SaleStatsSnapshot {
  const out: Record<string, { answers: Record<AnswerKind, number>; recentLatency: number[] }> = {};
  for (const snapshot of snapshots) {
    for (const [id, s] of Object.entries(snapshot)) {
      const e = (out[id] ??= { answers: emptyAnswers(), recentLatency: emptyBuckets() });
      for (const k of ANSWER_KINDS) e.answers[k] += s.answers[k];
      s.recentLatency.forEach((c, i) => (e.recentLatency[i]! += c));
    }
  }
  return out;
}

function bucketOf(seconds: number): number {
  const i = LATENCY_BOUNDS.findIndex((b) => seconds <= b);
  return i === -1 ? LATENCY_BOUNDS.length : i;
}

/**
 * The q-quantile (0..1) of the requests counted in `buckets`, interpolated
 * linearly inside its bucket as Prometheus' histogram_quantile does; the
 * unbounded last bucket answers its lower bound. Undefined with no requests.
 */
export function latencyQuantile(buckets: readonly number[], q: number): number | undefined {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i]!;
    if (n > 0 && below + n >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BOUNDS[i - 1]!;
      if (i === LATENCY_BOUNDS.length) return lower;
      return lower + (LATENCY_BOUNDS[i]! - lower) * ((rank - below) / n);
    }
    below += n;
  }
  return LATENCY_BOUNDS[LATENCY_BOUNDS.length - 1];
}
