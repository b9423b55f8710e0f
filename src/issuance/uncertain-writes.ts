import { LIMIT_REACHED, type Ledger } from "../db/ledger";
import { isUnavailable } from "../errors";
import type { Logger } from "../logger";

export type FinalWrite = "issued" | "duplicate" | "sold-out";
/** What a strategy must do once a write's fate is known (e.g. fix Redis). */
export type OnFinal = (result: FinalWrite) => Promise<void>;

const RETRY_EVERY_MS = 100;

interface Deferred {
  readonly couponId: number;
  readonly userId: string;
  readonly onFinal: OnFinal;
}

/**
 * Writes whose fate a broken connection hid: the statement was sent, and
 * PostgreSQL may have committed it before the reply was lost. Answering 503
 * then could leave a shopper told "error" holding a row (docs/guarantees.md, promise 4). Instead the
 * one-row write is retried, which is idempotent ("duplicate" proves the lost
 * commit landed); if PostgreSQL stays away past a short budget the shopper
 * is told 202 PENDING and the write is settled in the background, ending as
 * ISSUED or REJECTED.
 */
export class UncertainWrites {
  private readonly deferred = new Map<string, Deferred>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ledger: Ledger,
    private readonly logger: Logger,
    private readonly budgetMs = 300,
    private readonly tickMs = 500,
  ) {}

  /**
   * `park`, if given, hands the unsettled write to the shared hold sweeper
   * (visible as PENDING from every process, settled even if this one dies);
   * only if that fails is it kept here, in this process's memory.
   */
  async settle(couponId: number, userId: string, onFinal: OnFinal, park?: () => Promise<void>): Promise<FinalWrite | "pending"> {
    const deadline = Date.now() + this.budgetMs;
    for (;;) {
      const result = await this.tryOnce(couponId, userId);
      if (result) {
        await onFinal(result);
        return result;
      }
      if (Date.now() + RETRY_EVERY_MS > deadline) break;
      await new Promise((r) => setTimeout(r, RETRY_EVERY_MS));
    }
    const parked = await park?.().then(
      () => true,
      () => false,
    );
    if (parked) return "pending";
    this.deferred.set(`${couponId}:${userId}`, { couponId, userId, onFinal });
    this.timer ??= setInterval(() => void this.tick(), this.tickMs).unref();
    this.logger.warn({ couponId, userId }, "write outcome unknown; answered PENDING, settling in the background");
    return "pending";
  }

  isPending(couponId: number, userId: string): boolean {
    return this.deferred.has(`${couponId}:${userId}`);
  }

  async close(): Promise<void> {
    await this.tick();
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.deferred.size) this.logger.error({ left: [...this.deferred.keys()] }, "writes left unsettled at shutdown");
  }

  private async tick(): Promise<void> {
    for (const [key, d] of this.deferred) {
      const result = await this.tryOnce(d.couponId, d.userId);
      if (!result) return; // PostgreSQL is still away; try them all next tick.
      this.deferred.delete(key);
      // A shopper told PENDING learns the refusal through their status.
      if (result === "sold-out") await this.ledger.recordRejections(d.couponId, [d.userId], LIMIT_REACHED).catch(() => undefined);
      await d.onFinal(result).catch((err) => this.logger.warn({ err }, "could not apply a settled write"));
    }
    if (this.deferred.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async tryOnce(couponId: number, userId: string): Promise<FinalWrite | undefined> {
    try {
      return (await this.ledger.issueOne(couponId, userId)) as FinalWrite;
    } catch (err) {
      if (isUnavailable(err, "PostgreSQL")) return undefined;
      throw err;
    }
  }
}
