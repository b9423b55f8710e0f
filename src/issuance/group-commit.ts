import type { IssueResult as Result, Ledger } from "../db/ledger";

interface Waiter {
  readonly userId: string;
  resolve(result: Result): void;
  reject(err: unknown): void;
}

/**
 * Group commit for one process: requests for the same coupon that arrive
 * while a write is in flight wait and go in the next write together, as one
 * multi-row INSERT plus one counter bump. The coupon row's lock serialises
 * commits, so a transaction per request caps a coupon near 1k rows/s; a batch
 * pays that cost once for many rows. Each caller is answered only after its
 * row has committed (docs/guarantees.md, promise 4). Nothing waits on a timer: an idle coupon
 * writes at once, a busy one batches by itself.
 */
export class GroupCommit {
  private readonly queues = new Map<number, Waiter[]>();
  private readonly writing = new Set<number>();
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly ledger: Ledger,
    private readonly maxBatch = 1_000,
    private readonly onBatch: (size: number) => void = () => undefined,
  ) {}

  issue(couponId: number, userId: string): Promise<Result> {
    return new Promise((resolve, reject) => {
      let q = this.queues.get(couponId);
      if (!q) this.queues.set(couponId, (q = []));
      q.push({ userId, resolve, reject });
      if (!this.writing.has(couponId)) void this.drain(couponId);
    });
  }

  /** Resolves once nothing is queued or in flight. */
  settled(): Promise<void> {
    if (this.writing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  private async drain(couponId: number): Promise<void> {
    this.writing.add(couponId);
    const q = this.queues.get(couponId)!;
    while (q.length > 0) {
      const batch = q.splice(0, this.maxBatch);
      this.onBatch(batch.length);
      await this.write(couponId, batch);
    }
    this.queues.delete(couponId);
    this.writing.delete(couponId);
    if (this.writing.size === 0) {
      for (const done of this.idle) done();
      this.idle.clear();
    }
  }

  private async write(couponId: number, batch: Waiter[]): Promise<void> {
    try {
      const results = await this.ledger.issueInOrder(couponId, batch.map((w) => w.userId));
      // The same user twice in one batch (a retry racing its first request):
      // one row, so only the first is told it was issued.
      const told = new Set<string>();
      for (const w of batch) {
        const result = results.get(w.userId)!;
        w.resolve(result === "issued" && told.has(w.userId) ? "duplicate" : result);
        told.add(w.userId);
      }
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}
