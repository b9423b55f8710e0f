import { LIMIT_REACHED, type Ledger } from "../db/ledger";
import type { Logger } from "../logger";
import type { HoldStore } from "../coupon-store/hold-store";

export interface HoldSweeperOptions {
  /** How long a parked hold waits before a sweeper settles it (its owner may settle it first). */
  readonly holdMs: number;
  /** How often to look for expired holds. */
  readonly tickMs: number;
  /** Holds settled per coupon per statement. */
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
  private readonly known = new Set<number>();
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
    if (this.known.has(couponId)) return;
    this.known.add(couponId);
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
      await this.holds.registry.add([...this.known]);
      for (const id of await this.holds.registry.members()) await this.sweep(id);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, "hold sweep failed; retrying next tick");
    }
  }

  private async sweep(couponId: number): Promise<void> {
    for (;;) {
      const expired = await this.holds.expired(couponId, this.options.batchSize);
      if (expired.length === 0) return;
      const results = await this.ledger.issueInOrder(couponId, expired);
      const refused = expired.filter((u) => results.get(u) === "sold-out");
      const written = expired.filter((u) => results.get(u) !== "sold-out");
      if (refused.length) {
        await this.ledger.recordRejections(couponId, refused, LIMIT_REACHED);
        await this.holds.release(couponId, refused);
        this.events.drift(couponId);
      }
      await this.holds.confirm(couponId, written);
      this.events.settled(written.length, refused.length);
      this.logger.warn({ couponId, written: written.length, refused: refused.length }, "settled admissions their callers did not confirm");
      if (expired.length < this.options.batchSize) return;
    }
  }
}
