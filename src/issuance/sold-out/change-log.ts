import { LRUCache } from "lru-cache";

/** A moment in a ChangeLog, taken before asking Redis. */
export type Mark = number;

/**
 * Which coupons had a change notice since a moment. Every notice takes the
 * next number; a coupon remembers the number of its latest one. The record
 * is bounded: a coupon pushed out (or a gap, after which anything may have
 * changed) raises a floor that every coupon's last change is assumed to be
 * at least, so forgetting only ever makes the answer "changed".
 */
export class ChangeLog {
  private seq = 0;
  private floor = 0;
  private readonly latest: LRUCache<number, number>;

  constructor(maxCoupons: number) {
    this.latest = new LRUCache({
      max: maxCoupons,
      dispose: (seq, _couponId, reason) => {
        if (reason === "evict") this.floor = Math.max(this.floor, seq);
      },
    });
  }

  mark(): Mark {
    return this.seq;
  }

  changed(couponId: number): void {
    this.latest.set(couponId, ++this.seq);
  }

  /** Notices may have been missed: every coupon counts as changed now. */
  changedAll(): void {
    this.floor = ++this.seq;
    this.latest.clear();
  }

  changedSince(couponId: number, mark: Mark): boolean {
    return Math.max(this.latest.peek(couponId) ?? 0, this.floor) > mark;
  }
}
