import { AppError, notFound, rethrowAsUnavailable } from "../errors";
import type { Coupon, CouponRepository, NewCoupon } from "../db/coupon-repository";
import type { Ledger } from "../db/ledger";
import type { CouponCatalog } from "./coupon-catalog";
import type { RedisCouponState } from "./redis-coupon-state";
import type { StrategySet } from "./issuance-service";

export interface ReconcileReport {
  readonly couponId: number;
  readonly strategy: string;
  readonly dryRun: boolean;
  readonly postgres: { readonly totalQuantity: number; readonly issuedCount: number; readonly rows: number };
  readonly redis: { readonly loaded: boolean; readonly limit: number | null; readonly admitted: number } | null;
  /** Issued in PostgreSQL but unknown to Redis (Redis would admit them again). */
  readonly missingInRedis: readonly string[];
  /** Admitted in Redis with no row (a failed undo, or a write still in flight). */
  readonly extraInRedis: readonly string[];
  readonly limitMismatch: boolean;
  readonly counterMismatch: boolean;
  readonly repaired: boolean;
}

const SAMPLE = 100;

/** The operator's side: create coupons, change limits, repair Redis. */
export class CouponAdmin {
  constructor(
    private readonly repo: CouponRepository,
    private readonly ledger: Ledger,
    private readonly catalog: CouponCatalog,
    private readonly redisState: RedisCouponState,
    private readonly strategies: StrategySet,
  ) {}

  async create(input: NewCoupon): Promise<Coupon> {
    const coupon = await this.repo.create(input);
    this.catalog.remember(coupon);
    return coupon;
  }

  ids(): Promise<number[]> {
    return this.repo.ids();
  }

  async get(id: number): Promise<Coupon> {
    const coupon = await this.repo.find(id);
    if (!coupon) throw notFound("COUPON_NOT_FOUND", `Coupon ${id} does not exist`);
    return coupon;
  }

  /**
   * Takes effect at once in both stores. The stricter store always moves
   * first, so there is no moment in which Redis admits more than PostgreSQL
   * will take: lowering changes Redis (which refuses to go below what it
   * has admitted) and then PostgreSQL; raising goes the other way.
   */
  async setLimit(id: number, limit: number): Promise<Coupon> {
    const coupon = await this.get(id);
    const usesRedis = this.strategies[coupon.strategy].usesRedis;
    if (usesRedis && limit < coupon.totalQuantity) {
      const admitted = await this.redisState.setLimit(id, limit).catch(redisDown);
      if (admitted !== undefined) throw limitBelowIssued(limit, admitted);
    }
    const result = await this.repo.setLimit(id, limit);
    if (!result) throw notFound("COUPON_NOT_FOUND", `Coupon ${id} does not exist`);
    if (!result.ok) {
      if (usesRedis) await this.redisState.setLimit(id, coupon.totalQuantity).catch(redisDown);
      throw limitBelowIssued(limit, result.issuedCount);
    }
    if (usesRedis && limit >= coupon.totalQuantity) await this.redisState.setLimit(id, limit).catch(redisDown);
    return result.coupon;
  }

  /** Compares Redis with PostgreSQL and, unless dryRun, rebuilds Redis from PostgreSQL. */
  async reconcile(id: number, dryRun: boolean): Promise<ReconcileReport> {
    const coupon = await this.get(id);
    const rows = new Set<string>();
    for await (const page of this.ledger.issuedUserIds(id)) for (const u of page) rows.add(u);
    const postgres = { totalQuantity: coupon.totalQuantity, issuedCount: coupon.issuedCount, rows: rows.size };
    const base = { couponId: id, strategy: coupon.strategy, dryRun, postgres, counterMismatch: rows.size !== coupon.issuedCount };
    if (!this.strategies[coupon.strategy].usesRedis) {
      return { ...base, redis: null, missingInRedis: [], extraInRedis: [], limitMismatch: false, repaired: false };
    }
    const [snapshot, admitted, pending] = await Promise.all([
      this.redisState.snapshot(id),
      this.redisState.admittedUserIds(id),
      this.redisState.pendingUserIds(id),
    ]).catch(redisDown);
    const missingInRedis = [...rows].filter((u) => !admitted.has(u));
    // Queued shoppers are admitted without a row, and rightly so.
    const extraInRedis = [...admitted].filter((u) => !rows.has(u) && !pending.has(u));
    const limitMismatch = snapshot.loaded && snapshot.limit !== coupon.totalQuantity;
    const differs = !snapshot.loaded || missingInRedis.length > 0 || extraInRedis.length > 0 || limitMismatch;
    const repaired = differs && !dryRun ? await this.redisState.rebuild(id, true) : false;
    return {
      ...base,
      redis: { loaded: snapshot.loaded, limit: snapshot.limit ?? null, admitted: snapshot.admitted },
      missingInRedis: missingInRedis.slice(0, SAMPLE),
      extraInRedis: extraInRedis.slice(0, SAMPLE),
      limitMismatch,
      repaired,
    };
  }
}

const limitBelowIssued = (limit: number, issued: number) =>
  new AppError("LIMIT_BELOW_ISSUED", 409, `Cannot set the limit to ${limit}: ${issued} are already issued or admitted`);

const redisDown = rethrowAsUnavailable("Redis");
