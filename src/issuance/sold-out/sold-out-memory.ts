import { LRUCache } from "lru-cache";
import type { ChangeListener } from "../coupon-events";
import { SOLD_OUT, type CouponRef, type IssuanceStrategy, type IssueOutcome } from "../types";
import { ChangeLog, type Mark } from "./change-log";
import { fingerprint, HolderFingerprints } from "./holder-fingerprints";

/** What the memory needs of the change-notice channel (CouponEvents). */
export interface ChangeChannel {
  readonly healthy: boolean;
  onChange(listener: ChangeListener): unknown;
}

export interface SoldOutMemoryOptions {
  /** Coupons remembered at most; the least recently asked about go first. */
  readonly maxCoupons: number;
  /** Holders remembered at most, over every coupon (4 bytes each); a coupon with more is not remembered. */
  readonly maxHolders: number;
  /**
   * A remembered sale is checked with Redis again this often. Bounds what no
   * notice announces (a flushed Redis nobody has rebuilt yet, a hand edit).
   */
  readonly ttlMs: number;
  /** Everyone who holds a place of the coupon (admitted: written, held or queued), a page at a time. */
  readonly holders: (couponId: number) => AsyncIterable<readonly string[]>;
}

export interface SoldOutMemoryEvents {
  answered(): void;
  invalidated(cause: "notice" | "gap", coupons: number): void;
  /** A remembered sale was not trusted because the channel was not healthy: Redis was asked. */
  untrusted(): void;
}

interface Known {
  /** The ledger state the sale belongs to: a coupon re-created in a new database is another sale. */
  readonly tag: string;
  readonly holders: HolderFingerprints;
}

/**
 * Answers SOLD_OUT for a coupon whose every place Redis found taken, without
 * asking Redis or PostgreSQL, until a change notice for it arrives.
 *
 * - Only to shoppers it can prove hold no place: it keeps the holders'
 *   fingerprints, read once when it learns of the sale, and a shopper who
 *   may hold one is asked about in Redis (and told ALREADY_ISSUED, or their
 *   PENDING hold settled, as ever).
 * - Only while the channel is healthy: every notice published before a beat
 *   the channel proved has arrived, so no answer rests on knowledge staler
 *   than the channel's bound.
 * - A notice that arrives while Redis is being asked wins: what Redis said
 *   is remembered only if no notice for the coupon (and no gap) came between
 *   the moment before asking and the moment the holders were read.
 */
export class SoldOutMemory {
  private readonly known: LRUCache<number, Known>;
  private readonly changes: ChangeLog;
  private readonly learning = new Map<number, Promise<void>>();

  constructor(
    private readonly channel: ChangeChannel,
    private readonly events: SoldOutMemoryEvents,
    private readonly options: SoldOutMemoryOptions,
  ) {
    this.known = new LRUCache({
      max: options.maxCoupons,
      maxSize: options.maxHolders,
      sizeCalculation: (k) => Math.max(1, k.holders.size),
      ttl: options.ttlMs,
      // Kept past its time, so a sale Redis confirms again is renewed without reading its holders again.
      noDeleteOnStaleGet: true,
    });
    this.changes = new ChangeLog(options.maxCoupons * 4);
    channel.onChange((couponId) => this.forget(couponId));
  }

  /** SOLD_OUT if this is certain without asking Redis; otherwise undefined. */
  answer(coupon: CouponRef, userId: string): IssueOutcome | undefined {
    const known = this.known.get(coupon.id);
    if (!known || known.tag !== coupon.tag || known.holders.mayHold(userId)) return undefined;
    if (!this.channel.healthy) {
      this.events.untrusted();
      return undefined;
    }
    this.events.answered();
    return SOLD_OUT;
  }

  /** Take before asking Redis; hand to `learn` with what it said. */
  mark(): Mark {
    return this.changes.mark();
  }

  /**
   * Redis, asked after `mark`, found every place of the coupon taken.
   * Remembers it in the background once the holders are read, unless a
   * notice or gap came meanwhile.
   */
  learn(coupon: CouponRef, mark: Mark): void {
    if (this.learning.has(coupon.id)) return;
    const stale = this.known.get(coupon.id, { allowStale: true });
    if (stale && stale.tag === coupon.tag) {
      // Still here, so no notice came since it was learned: nothing to read again.
      if (this.trustworthy(coupon.id, mark)) this.known.set(coupon.id, stale);
      return;
    }
    if (!this.channel.healthy) return;
    const run = this.readHolders(coupon, mark)
      .catch(() => undefined) // Redis trouble: it is simply not remembered
      .finally(() => this.learning.delete(coupon.id));
    this.learning.set(coupon.id, run);
  }

  /** Waits for holders being read, so nothing reads Redis after it closes. */
  async close(): Promise<void> {
    await Promise.all(this.learning.values());
  }

  /** Wraps a Redis strategy: answers from memory first, learns from its SOLD_OUT answers. */
  around(strategy: IssuanceStrategy): IssuanceStrategy {
    const issue: IssuanceStrategy["issue"] = async (coupon, userId, options) => {
      const known = this.answer(coupon, userId);
      if (known) return known;
      const mark = this.mark();
      const outcome = await strategy.issue(coupon, userId, options);
      if (outcome.kind === "sold-out" && outcome.everyPlaceTaken) this.learn(coupon, mark);
      return outcome;
    };
    return {
      name: strategy.name,
      usesRedis: strategy.usesRedis,
      issue,
      status: (coupon, userId) => strategy.status(coupon, userId),
      close: strategy.close && (() => strategy.close!()),
    };
  }

  private async readHolders(coupon: CouponRef, mark: Mark): Promise<void> {
    const fingerprints: number[] = [];
    for await (const page of this.options.holders(coupon.id)) {
      for (const userId of page) fingerprints.push(fingerprint(userId));
      // Too many to keep, or changed already: reading on is wasted.
      if (fingerprints.length > this.options.maxHolders || this.changes.changedSince(coupon.id, mark)) return;
    }
    if (this.trustworthy(coupon.id, mark)) this.known.set(coupon.id, { tag: coupon.tag, holders: HolderFingerprints.of(fingerprints) });
  }

  private trustworthy(couponId: number, mark: Mark): boolean {
    return !this.changes.changedSince(couponId, mark) && this.channel.healthy;
  }

  private forget(couponId: number | undefined): void {
    if (couponId === undefined) {
      this.changes.changedAll();
      if (this.known.size) this.events.invalidated("gap", this.known.size);
      this.known.clear();
      return;
    }
    this.changes.changed(couponId);
    if (this.known.delete(couponId)) this.events.invalidated("notice", 1);
  }
}
