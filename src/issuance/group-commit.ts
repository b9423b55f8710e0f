import type { Ledger, RowToIssue, UnfencedResult } from "../db/ledger";
import { KeyedBatcher, type BatcherOptions } from "./batcher";

/**
 * The process's one write stream: rows of every coupon go in it. A single
 * stream, not one per coupon, because what a write costs is mostly its
 * commit; a thousand coupons selling at once then share commits instead of
 * paying one each. Each coupon's limit is still checked on its own inside
 * the statement (Ledger.issue).
 */
const STREAM = "ledger";

export interface GroupCommitOptions extends BatcherOptions {
  /** Rows per write, as they go (a metric). */
  readonly onBatch: (size: number) => void;
}

/**
 * Group commit for one process: rows that arrive while a write is in flight
 * wait and go in the next write together, whatever their coupon, as one
 * statement. The coupon row's lock serialises commits, so a transaction per
 * request caps a coupon near 1k rows/s, and a transaction per coupon caps
 * many small sales the same way; a batch pays that cost once for many rows.
 * Each caller is answered only after its row has committed
 * (docs/guarantees.md, promise 4). Nothing waits on a timer: an idle stream
 * writes at once, a busy one batches by itself.
 */
export class GroupCommit {
  private readonly batcher: KeyedBatcher<typeof STREAM, RowToIssue, UnfencedResult>;

  constructor(ledger: Ledger, options: GroupCommitOptions) {
    this.batcher = new KeyedBatcher((_stream, rows) => {
      options.onBatch(rows.length);
      return ledger.issue(rows);
    }, options);
  }

  /**
   * The row's fate once committed. Rejects if the write failed, its reply
   * was lost, or too many rows wait already (BatcherFullError); the caller
   * then settles the row.
   */
  issue(row: RowToIssue): Promise<UnfencedResult> {
    return this.batcher.add(STREAM, row);
  }

  /** Resolves once nothing is queued or in flight. */
  settled(): Promise<void> {
    return this.batcher.settled();
  }
}
