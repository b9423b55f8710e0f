/**
 * Who holds a sold-out coupon's places, exactly, in 8 bytes a holder: their
 * userIds (positive 64-bit integers) as a sorted BigUint64Array. Those whose
 * row was not settled when it was read (held or queued) are kept apart by
 * id, until Redis is seen calling them ALREADY_ISSUED.
 */
export class Holders {
  private constructor(
    private readonly sorted: BigUint64Array,
    private readonly waiting: Set<string>,
  ) {}

  /** `userIds`: every member of the admitted set; `waiting`: those of them held or queued. */
  static of(userIds: readonly string[], waiting: Iterable<string>): Holders {
    const sorted = BigUint64Array.from(userIds, (u) => BigInt(u)).sort();
    return new Holders(sorted, new Set(waiting));
  }

  get size(): number {
    return this.sorted.length;
  }

  /** What this shopper is: holds no place, holds a settled one (ALREADY_ISSUED), or one still held or queued. */
  standing(userId: string): "none" | "settled" | "waiting" {
    if (!this.has(BigInt(userId))) return "none";
    return this.waiting.has(userId) ? "waiting" : "settled";
  }

  /** Redis called a waiting holder ALREADY_ISSUED: their row is settled. */
  settle(userId: string): void {
    this.waiting.delete(userId);
  }

  private has(id: bigint): boolean {
    let lo = 0;
    let hi = this.sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.sorted[mid]!;
      if (at === id) return true;
      if (at < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}
