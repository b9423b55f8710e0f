import { LRUCache } from "lru-cache";
import type { ChangeListener } from "../coupon-events";
import { ALREADY_ISSUED, SOLD_OUT, type CouponRef, type IssuanceStrategy, type IssueOutcome } from "../types";
import { ChangeLog, type Mark } from "./change-log";
import { Holders } from "./holders";

/** What the memory needs of the change-notice channel (CouponEvents). */
export interface ChangeChannel {
  readonly healthy: boolean;
  onChange(listener: ChangeListener): unknown;
}

/** How many shoppers hold a place whose row is not settled yet (held or queued), and who they are. */
export interface Waiting {
  count(couponId: number): Promise<number>;
  userIds(couponId: number): Promise<ReadonlySet<string>>;
}

export interface SoldOutMemoryOptions {
  /** Coupons remembered at most; the least recently asked about go first. */
  readonly maxCoupons: number;
  /** Holders remembered at most, over every coupon (8 bytes each); a coupon with more is not remembered. */
  readonly maxHolders: number;
  /** A sale is remembered only once at most this many of its holders are still held or queued (they are kept by id). */
  readonly maxWaiting: number;
  /**
   * A remembered sale is confirmed with Redis again this often: halfway
   * through, one request is sent to Redis while the others are answered from
   * memory, and it is renewed if Redis still finds every place taken. Bounds
   * what no notice announces (a flushed Redis nobody has rebuilt yet, a hand
   * edit). Past it, only while a confirmation is in flight, and for at most
   * `confirmWithinMs` more, does the memory keep answering.
   */
  readonly ttlMs: number;
  /** The longest one request waits for Redis (REDIS_COMMAND_TIMEOUT_MS). */
  readonly confirmWithinMs: number;
  /** Everyone who holds a place of the coupon (admitted: written, held or queued), a page at a time. */
  readonly holders: (couponId: number) => AsyncIterable<readonly string[]>;
  readonly waiting: Waiting;
}

export type MemoryAnswer = "SOLD_OUT" | "ALREADY_ISSUED";

export interface SoldOutMemoryEvents {
  answered(answer: MemoryAnswer): void;
  invalidated(cause: "notice" | "gap", coupons: number): void;
  /** A remembered sale was not trusted because the channel was not healthy: Redis was asked. */
  untrusted(): void;
}

/** A request about to ask Redis, taken before it does. */
export interface Question {
  readonly coupon: number;
  readonly userId: string;
  /** The change log's position: a notice after it means Redis's answer may be out of date. */
  readonly mark: Mark;
  /** performance.now() */
  readonly at: number;
  /** Sent to confirm a remembered sale that is halfway through its time. */
  readonly confirms: boolean;
}

interface Known {
  /** The ledger state the sale belongs to: a coupon re-created in a new database is another sale. */
  readonly tag: string;
  readonly holders: Holders;
  /** performance.now() before the request whose SOLD_OUT last confirmed the sale was sent. */
  confirmedAt: number;
}

/**
 * Answers a sold-out coupon's crowd without asking Redis or PostgreSQL,
 * until a change notice for it arrives: SOLD_OUT to shoppers who hold no
 * place, ALREADY_ISSUED to those whose place is settled, both exactly what
 * Redis would answer.
 *
 * - It learns a sale from a SOLD_OUT that says Redis found every place
 *   taken, and then reads the holders once (their ids, exactly, and which
 *   of them are still held or queued). A shopper still held or queued is
 *   asked about in Redis as ever (their hold or queue entry settles there).
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
  /** Coupons whose remembered sale one request is confirming with Redis now. */
  private readonly confirming = new Set<number>();
  /** Coupons found too large or too busy to remember, left alone for a while rather than read again at every SOLD_OUT. */
  private readonly resting: LRUCache<number, true>;

  constructor(
    private readonly channel: ChangeChannel,
    private readonly events: SoldOutMemoryEvents,
    private readonly options: SoldOutMemoryOptions,
  ) {
    this.known = new LRUCache({
      max: options.maxCoupons,
      maxSize: options.maxHolders,
      sizeCalculation: (k) => Math.max(1, k.holders.size),
    });
    this.resting = new LRUCache({ max: options.maxCoupons, ttl: Math.max(1, options.ttlMs / 2) });
    this.changes = new ChangeLog(options.maxCoupons * 4);
    channel.onChange((couponId) => this.forget(couponId));
  }

  /** Wraps a Redis strategy: answers from memory first, and learns from what Redis answers. */
  around(strategy: IssuanceStrategy): IssuanceStrategy {
    const issue: IssuanceStrategy["issue"] = async (coupon, userId, options) => {
      const known = this.ask(coupon, userId);
      if ("kind" in known) return known;
      let outcome: IssueOutcome | undefined;
      try {
        return (outcome = await strategy.issue(coupon, userId, options));
      } finally {
        this.heard(coupon, known, outcome);
      }
    };
    return {
      name: strategy.name,
      usesRedis: strategy.usesRedis,
      issue,
      status: (coupon, userId) => strategy.status(coupon, userId),
      close: strategy.close && (() => strategy.close!()),
    };
  }

  /**
   * SOLD_OUT or ALREADY_ISSUED if that is certain without asking Redis;
   * otherwise the question to ask Redis, to be handed to `heard` with its answer.
   */
  ask(coupon: CouponRef, userId: string): IssueOutcome | Question {
    const question = { coupon: coupon.id, userId, mark: this.changes.mark(), at: performance.now(), confirms: false };
    const known = this.known.get(coupon.id);
    if (!known || known.tag !== coupon.tag) return question;
    const standing = known.holders.standing(userId);
    if (standing === "waiting") return question;
    if (!this.channel.healthy) {
      this.events.untrusted();
      return question;
    }
    const age = question.at - known.confirmedAt;
    const confirming = this.confirming.has(coupon.id);
    // Halfway through its time, one shopper without a place confirms the sale with Redis; the crowd behind them need not.
    if (!confirming && standing === "none" && age >= this.options.ttlMs / 2) {
      this.confirming.add(coupon.id);
      return { ...question, confirms: true };
    }
    if (age > this.options.ttlMs + (confirming ? this.options.confirmWithinMs : 0)) return question;
    if (standing === "settled") {
      this.events.answered("ALREADY_ISSUED");
      return ALREADY_ISSUED;
    }
    this.events.answered("SOLD_OUT");
    return SOLD_OUT;
  }

  /** What Redis answered a question (undefined: it failed). */
  heard(coupon: CouponRef, question: Question, outcome: IssueOutcome | undefined): void {
    const everyPlaceTaken = outcome?.kind === "sold-out" && outcome.everyPlaceTaken === true;
    if (question.confirms) {
      this.confirming.delete(coupon.id);
      // Not confirmed (a place came free that no notice announced, or Redis failed): ask Redis from now on.
      if (!everyPlaceTaken) this.known.delete(coupon.id);
    }
    if (everyPlaceTaken) this.learn(coupon, question);
    // A holder who was held or queued when the holders were read: Redis now says their row is settled.
    const known = this.known.peek(coupon.id);
    if (outcome?.kind === "already-issued" && known?.tag === coupon.tag && this.trustworthy(question)) known.holders.settle(question.userId);
  }

  /** Waits for holders being read, so nothing reads Redis after it closes. */
  async close(): Promise<void> {
    await Promise.all(this.learning.values());
  }

  /**
   * Redis, asked `question`, found every place of the coupon taken.
   * Remembers it, in the background once the holders are read, unless a
   * notice or gap came since the question was asked.
   */
  private learn(coupon: CouponRef, question: Question): void {
    const known = this.known.peek(coupon.id);
    if (known && known.tag === coupon.tag) {
      // Still here, so no notice came since it was learned: its holders are the same.
      if (this.trustworthy(question)) known.confirmedAt = Math.max(known.confirmedAt, question.at);
      return;
    }
    if (this.learning.has(coupon.id) || this.resting.has(coupon.id) || !this.channel.healthy) return;
    const run = this.readHolders(coupon, question)
      .catch(() => undefined) // Redis trouble: it is simply not remembered
      .finally(() => this.learning.delete(coupon.id));
    this.learning.set(coupon.id, run);
  }

  private async readHolders(coupon: CouponRef, question: Question): Promise<void> {
    // A queue still draining (or many holds) would cost much to keep by id: later.
    if ((await this.options.waiting.count(coupon.id)) > this.options.maxWaiting) return void this.resting.set(coupon.id, true);
    const members: string[] = [];
    for await (const page of this.options.holders(coupon.id)) {
      members.push(...page);
      if (members.length > this.options.maxHolders) return void this.resting.set(coupon.id, true);
      // Changed already: reading on is wasted.
      if (this.changes.changedSince(coupon.id, question.mark)) return;
    }
    // Read after the members: a hold confirmed or an entry persisted meanwhile only makes a holder settled sooner.
    const waiting = await this.options.waiting.userIds(coupon.id);
    if (waiting.size > this.options.maxWaiting) return void this.resting.set(coupon.id, true);
    if (!this.trustworthy(question)) return;
    this.known.set(coupon.id, { tag: coupon.tag, holders: Holders.of(members, waiting), confirmedAt: question.at });
  }

  private trustworthy(question: Question): boolean {
    return !this.changes.changedSince(question.coupon, question.mark) && this.channel.healthy;
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
