/**
 * Collects work per key and hands it over in batches: one flush in flight
 * per key, and whatever arrives for that key while it runs waits for the
 * next one. Nothing waits on a timer: an idle key flushes at once (after the
 * current tick, so items added together go together), a busy one batches by
 * itself. Group commit (one write stream for every coupon), lock combining
 * (one lock per coupon for all its waiters) and the coupon catalog's reads
 * are this pattern; it knows nothing of Redis or PostgreSQL.
 */
export interface BatcherOptions {
  /** Items per flush at most. */
  readonly maxBatch: number;
  /** Items waiting for a flush, over all keys, at most; past it `add` refuses (BatcherFullError). */
  readonly maxQueued: number;
}

/** Answers the items of one batch, in their order: result i is item i's. */
export type Flush<K, T, R> = (key: K, items: readonly T[]) => Promise<readonly R[]>;

/** The batcher holds maxQueued items already: the caller is told at once instead of queueing without bound. */
export class BatcherFullError extends Error {
  constructor(maxQueued: number) {
    super(`${maxQueued} items are already waiting to be flushed`);
    this.name = "BatcherFullError";
  }
}

export class BatcherClosedError extends Error {
  constructor() {
    super("the batcher is closed");
    this.name = "BatcherClosedError";
  }
}

interface Waiting<T, R> {
  readonly item: T;
  resolve(result: R): void;
  reject(err: unknown): void;
}

export class KeyedBatcher<K, T, R> {
  /** A key is here while it has items waiting or a flush in flight, and removed when it has neither. */
  private readonly queues = new Map<K, Waiting<T, R>[]>();
  private waiting = 0;
  private closed = false;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly flush: Flush<K, T, R>,
    private readonly options: BatcherOptions,
  ) {}

  add(key: K, item: T): Promise<R> {
    if (this.closed) return Promise.reject(new BatcherClosedError());
    if (this.waiting >= this.options.maxQueued) return Promise.reject(new BatcherFullError(this.options.maxQueued));
    return new Promise((resolve, reject) => {
      this.waiting++;
      const queue = this.queues.get(key);
      if (queue) return void queue.push({ item, resolve, reject });
      const fresh = [{ item, resolve, reject }];
      this.queues.set(key, fresh);
      void this.drain(key, fresh);
    });
  }

  /** Items waiting for a flush, over all keys (those being flushed are not counted). */
  get size(): number {
    return this.waiting;
  }

  /** Keys with items waiting or a flush in flight. */
  get activeKeys(): number {
    return this.queues.size;
  }

  /** Resolves once nothing waits and nothing is being flushed. */
  settled(): Promise<void> {
    if (this.queues.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  /** Refuses new items; resolves once every item already added is flushed. */
  close(): Promise<void> {
    this.closed = true;
    return this.settled();
  }

  private async drain(key: K, queue: Waiting<T, R>[]): Promise<void> {
    // Items added in the same tick as the first one go in its batch.
    await Promise.resolve();
    while (queue.length > 0) {
      const batch = queue.splice(0, this.options.maxBatch);
      this.waiting -= batch.length;
      await this.flushBatch(key, batch);
    }
    this.queues.delete(key);
    if (this.queues.size > 0) return;
    for (const done of this.idle) done();
    this.idle.clear();
  }

  /** A flush that fails, or answers the wrong number of results, rejects its own batch and nothing else. */
  private async flushBatch(key: K, batch: readonly Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.flush(
        key,
        batch.map((w) => w.item),
      );
      if (results.length !== batch.length) throw new Error(`a flush of ${batch.length} items answered ${results.length} results`);
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}
