import { LRUCache } from "lru-cache";
import { LIMIT_REACHED, type Ledger, type UnfencedResult } from "../db/ledger";
import type { Logger } from "../logger";
import type { HoldStore } from "../coupon-store/hold-store";

/** Coupons a process remembers having registered (see HoldSweeper.known). */
const MAX_KNOWN_COUPONS = 10_000;
/** Coupons whose expired holds go in one write: bounds what one write holds when thousands of coupons sell at once. */
const COUPONS_PER_WRITE = 100;

export interface HoldSweeperOptions {
  /** How long a parked hold waits before a sweeper settles it (its owner may settle it first). */
  readonly holdMs: number;
  /** How often to look for expired holds. */
  readonly tickMs: number;
  /** Expired holds taken from one coupon at a time. */
  readonly batchSize: number;
}

export interface HoldSweeperEvents {
  /** Holds settled: written (or found written) and refused. */
  settled(written: number, refused: number): void;
  /** PostgreSQL refused shoppers Redis admitted: Redis has drifted from the ledger. */
  drift(couponId: number): void;
}

/**
 * Settles admissions nobody confirmed in time. A redis-set admission is a
 * hold in Redis until its caller writes the row and confirms it. When the
 * caller cannot (its Redis reply was lost and it answered 202 PENDING, its
 * PostgreSQL write failed, its process died) the hold outlives its settle-by
 * time, and any process's sweeper writes the row itself (idempotently: a
 * row already there counts as written) or, if PostgreSQL refuses it, gives
 * the place back and records the refusal. So a place is never lost to a
 * caller who stopped listening, and a shopper told PENDING learns the truth
 * from any process.
 */
export class HoldSweeper {
  /**
   * Coupons this process registered, re-written to the registry every tick.
   * Bounded: one that falls out is registered again on its next use, and the
   * registry in Redis keeps it meanwhile.
   */
  private readonly known = new LRUCache<number, true>({ max: MAX_KNOWN_COUPONS });
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly holds: HoldStore,
    private readonly ledger: Ledger,
    private readonly logger: Logger,
    private readonly events: HoldSweeperEvents,
    private readonly options: HoldSweeperOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.tick());
    }, this.options.tickMs);
    this.timer.unref();
  }

  /** Makes sure every process's sweeper will look at this coupon. */
  register(couponId: number): void {
    if (this.known.get(couponId)) return;
    this.known.set(couponId, true);
    // At once, so the others can settle our holds should we die before our
    // next tick; if it fails, the tick writes it.
    this.holds.registry.add([couponId]).catch(() => undefined);
  }

  /**
   * Parks shoppers whose write has an unknown outcome as holds (see
   * holdPlaces-2.lua), so every process reports them PENDING and a sweeper
   * settles them even if this process dies. `countPlaces` for strategies
   * whose admitted set gains members only after their rows commit.
   */
  async park(couponId: number, userIds: readonly string[], countPlaces: boolean): Promise<void> {
    this.register(couponId);
    await this.holds.park(couponId, userIds, this.options.holdMs, countPlaces);
  }

  /** Whether the shopper holds a place whose row is not settled yet. */
  isHeld(couponId: number, userId: string): Promise<boolean> {
    return this.holds.isHeld(couponId, userId);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every registered coupon. */
  async tick(): Promise<void> {
    try {
      // Written every tick, not once: a Redis that lost its data lost the registry too.
      await this.holds.registry.add([...this.known.keys()]);
      const ids = await this.holds.registry.members();
      for (let i = 0; i < ids.length; i += COUPONS_PER_WRITE) await this.sweep(ids.slice(i, i + COUPONS_PER_WRITE));
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, "hold sweep failed; retrying next tick");
    }
  }

  /** The expired holds of these coupons, settled in one write, until none is left. */
  private async sweep(couponIds: readonly number[]): Promise<void> {
    let due = couponIds;
    while (due.length > 0) {
      const found = await Promise.all(
        due.map(async (couponId) => ({ couponId, users: await this.holds.expired(couponId, this.options.batchSize) })),
      );
      const expired = found.filter((f) => f.users.length > 0);
      if (expired.length === 0) return;
      const results = await this.ledger.issue(expired.flatMap(({ couponId, users }) => users.map((userId) => ({ couponId, userId }))));
      let at = 0;
      for (const { couponId, users } of expired) {
        await this.settle(couponId, users, results.slice(at, (at += users.length)));
      }
      due = found.filter((f) => f.users.length === this.options.batchSize).map((f) => f.couponId);
    }
  }

  /** Holds the ledger refused give their places back; written ones are confirmed. */
  private async settle(couponId: number, users: readonly string[], results: readonly UnfencedResult[]): Promise<void> {
    const refused = users.filter((_, i) => results[i] === "sold-out");
    const written = users.filter((_, i) => results[i] !== "sold-out");
    if (refused.length) {
      await this.ledger.recordRejections(couponId, refused, LIMIT_REACHED);
      await this.holds.release(couponId, refused);
      this.events.drift(couponId);
    }
    await this.holds.confirm(couponId, written);
    this.events.settled(written.length, refused.length);
    this.logger.warn({ couponId, written: written.length, refused: refused.length }, "settled admissions their callers did not confirm");
  }
}
