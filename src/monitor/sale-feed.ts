import { ANSWER_KINDS, latencyQuantile, type AnswerKind, type SaleStatsSnapshot } from "./sale-stats";
import type { CouponStatus, SaleUpdate, SaleView } from "./sale-update";

/** A coupon the dashboard shows, with its counts as PostgreSQL has them. */
export interface WatchedCoupon {
  readonly id: number;
  readonly name: string;
  readonly strategy: string;
  readonly status: CouponStatus;
  readonly totalQuantity: number;
  readonly issuedCount: number;
}

export interface SaleFeedSources {
  /** The coupons to show, newest first. */
  coupons(): Promise<readonly WatchedCoupon[]>;
  /** Admitted requests waiting in a queue coupon's list. */
  queueDepth(couponId: number): Promise<number>;
  /** Shoppers' answers per coupon; with WORKERS > 1, summed over every worker. */
  answers(): Promise<SaleStatsSnapshot>;
}

export interface SaleSubscriber {
  send(update: string): void;
  /** The feed is closing (the server stops): end the stream. */
  end(): void;
}

export interface SaleFeedOptions {
  readonly intervalMs: number;
  /** How far back the rate chart reaches. */
  readonly historySeconds: number;
}

const NO_ANSWERS = Object.freeze(Object.fromEntries(ANSWER_KINDS.map((k) => [k, 0])) as Record<AnswerKind, number>);

const DEFAULTS: SaleFeedOptions = { intervalMs: 1_000, historySeconds: 300 };

/** Per coupon: [Unix ms, rows issued] samples, oldest first. */
type History = [number, number][];

/**
 * One sampler per process, shared by every dashboard stream it serves: each
 * interval it reads the coupons (PostgreSQL), queue depths (Redis) and
 * shoppers' answers (every worker), and pushes one serialised update to
 * all subscribers. It samples only while someone watches. Issue rates
 * come from the difference between samples of the rows' count, so they
 * need no counter per coupon and second anywhere.
 */
export class SaleFeed {
  private readonly options: SaleFeedOptions;
  private readonly subscribers = new Set<SaleSubscriber>();
  private readonly history = new Map<number, History>();
  private coupons: readonly WatchedCoupon[] = [];
  private answers: SaleStatsSnapshot | undefined;
  private latest: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;
  private closed = false;

  constructor(
    private readonly sources: SaleFeedSources,
    options: Partial<SaleFeedOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Starts sampling with the first subscriber; returns the unsubscribe. */
  subscribe(subscriber: SaleSubscriber): () => void {
    if (this.closed) {
      subscriber.end();
      return () => undefined;
    }
    this.subscribers.add(subscriber);
    if (this.latest) subscriber.send(this.latest);
    if (!this.timer) {
      this.timer = setInterval(() => void this.sample(), this.options.intervalMs);
      void this.sample();
    }
    return () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.stop();
    };
  }

  /** Ends every stream; later subscribers are ended at once. */
  close(): void {
    this.closed = true;
    this.stop();
    for (const s of this.subscribers) s.end();
    this.subscribers.clear();
  }

  /** The rate history stays (a reloaded page gets its chart back); the last update is stale by the next start. */
  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.latest = undefined;
  }

  /** A slow read (PostgreSQL under load) skips intervals instead of piling them up. */
  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const update = await this.read();
      if (!this.timer) return; // everyone left meanwhile
      this.latest = JSON.stringify(update);
      for (const s of this.subscribers) s.send(this.latest);
    } finally {
      this.sampling = false;
    }
  }

  private async read(): Promise<SaleUpdate> {
    const problems: string[] = [];
    const [coupons, answers] = await Promise.all([
      this.sources.coupons().catch(() => void problems.push("coupons could not be read from PostgreSQL")),
      this.sources.answers().catch(() => void problems.push("not every worker reported its answers")),
    ]);
    if (coupons) this.coupons = coupons;
    this.answers = answers ?? undefined;
    const at = this.now();
    const depths = await Promise.all(
      this.coupons.map((c) => (c.strategy === "queue" ? this.sources.queueDepth(c.id).catch(() => null) : null)),
    );
    if (depths.some((d, i) => d === null && this.coupons[i]!.strategy === "queue")) problems.push("queue depth could not be read from Redis");
    this.forgetAllBut(new Set(this.coupons.map((c) => c.id)));
    const views = this.coupons.map((c, i) => this.view(c, depths[i] ?? null, at));
    return { at: new Date(at).toISOString(), coupons: views, problems };
  }

  private view(c: WatchedCoupon, queueDepth: number | null, at: number): SaleView {
    const history = this.history.get(c.id) ?? [];
    this.history.set(c.id, history);
    push(history, [at, c.issuedCount], this.options.historySeconds * 1_000);
    const answered = this.answers?.[c.id];
    const p99 = answered && latencyQuantile(answered.recentLatency, 0.99);
    return {
      id: c.id,
      name: c.name,
      strategy: c.strategy,
      status: c.status,
      totalQuantity: c.totalQuantity,
      issued: c.issuedCount,
      remaining: Math.max(0, c.totalQuantity - c.issuedCount),
      queueDepth,
      rate: rates(history),
      answers: this.answers ? (answered?.answers ?? NO_ANSWERS) : null,
      p99Ms: p99 === undefined ? null : Math.round(p99 * 100_000) / 100,
    };
  }

  private forgetAllBut(ids: ReadonlySet<number>): void {
    for (const id of this.history.keys()) if (!ids.has(id)) this.history.delete(id);
  }
}

/** Appends, and drops samples older than `spanMs` before the newest (keeping one to difference against). */
function push(samples: History, sample: [number, number], spanMs: number): void {
  samples.push(sample);
  while (samples.length > 2 && sample[0] - samples[1]![0] >= spanMs) samples.shift();
}

function rates(issued: History): SaleView["rate"] {
  const t: number[] = [];
  const perSecond: number[] = [];
  for (let i = 1; i < issued.length; i++) {
    const [t0, n0] = issued[i - 1]!;
    const [t1, n1] = issued[i]!;
    // Fractional: two samples closer than a second (after a slow one) must not share an x.
    t.push(t1 / 1_000);
    // A lowered count (rows removed by hand) is no negative rate.
    perSecond.push(Math.max(0, ((n1 - n0) * 1_000) / Math.max(1, t1 - t0)));
  }
  return { t, perSecond };
}
