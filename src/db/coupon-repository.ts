import type { Tx } from "./audit-log";
import type { Database } from "./database";
import { orUnavailable } from "./pg-errors";
import type { StrategyName } from "../issuance/strategy-names";
import type { Coupon as CouponRow } from "./generated/client";

export interface Coupon {
  readonly id: number;
  readonly name: string;
  readonly totalQuantity: number;
  readonly issuedCount: number;
  readonly strategy: StrategyName;
  readonly startsAt: Date | null;
  readonly endsAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewCoupon {
  name: string;
  totalQuantity: number;
  strategy: StrategyName;
  startsAt?: Date | undefined;
  endsAt?: Date | undefined;
}

const toCoupon = (row: CouponRow): Coupon => ({
  id: row.id,
  name: row.name,
  totalQuantity: row.totalQuantity,
  issuedCount: row.issuedCount,
  strategy: row.strategy as StrategyName,
  startsAt: row.startsAt,
  endsAt: row.endsAt,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

export type SetLimitResult = { ok: true; coupon: Coupon; previous: number } | { ok: false; issuedCount: number } | undefined;

/** A coupon a shopper holds. */
export interface Holding {
  /** The row's id: newer rows have larger ones. */
  readonly id: bigint;
  readonly couponId: number;
  readonly name: string;
  readonly issuedAt: Date;
}

export class CouponRepository {
  constructor(private readonly db: Database) {}

  /** `tx`: the transaction that also records the change (see AuditLog). */
  async create(input: NewCoupon, tx: Tx = this.db.prisma): Promise<Coupon> {
    return toCoupon(await orUnavailable(tx.coupon.create({ data: input })));
  }

  async find(id: number): Promise<Coupon | undefined> {
    const row = await orUnavailable(this.db.prisma.coupon.findUnique({ where: { id } }));
    return row ? toCoupon(row) : undefined;
  }

  /** Every coupon's id, oldest first. */
  async ids(): Promise<number[]> {
    const rows = await orUnavailable(this.db.prisma.coupon.findMany({ select: { id: true }, orderBy: { id: "asc" } }));
    return rows.map((r) => r.id);
  }

  /**
   * Sets the limit unless more are already issued; undefined if no such
   * coupon. Run it in a transaction (`tx`): the row is locked first, so the
   * `previous` limit it reports is the one this change replaced.
   */
  async setLimit(id: number, totalQuantity: number, tx: Tx): Promise<SetLimitResult> {
    const locked = await orUnavailable(
      tx.$queryRaw<{ totalQuantity: number }[]>`SELECT "totalQuantity" FROM "Coupon" WHERE id = ${id} FOR UPDATE`,
    );
    if (locked.length === 0) return undefined;
    const { count } = await orUnavailable(
      tx.coupon.updateMany({ where: { id, issuedCount: { lte: totalQuantity } }, data: { totalQuantity } }),
    );
    const coupon = toCoupon((await orUnavailable(tx.coupon.findUnique({ where: { id } })))!);
    return count === 1 ? { ok: true, coupon, previous: locked[0]!.totalQuantity } : { ok: false, issuedCount: coupon.issuedCount };
  }

  /** The coupons a user holds, newest first: up to `limit`, older than row `beforeId` when given. */
  async holdings(userId: string, limit: number, beforeId?: bigint): Promise<Holding[]> {
    const rows = await orUnavailable(
      this.db.prisma.userCoupon.findMany({
        where: { userId: BigInt(userId), ...(beforeId !== undefined && { id: { lt: beforeId } }) },
        orderBy: { id: "desc" },
        take: limit,
        select: { id: true, couponId: true, issuedAt: true, coupon: { select: { name: true } } },
      }),
    );
    return rows.map((r) => ({ id: r.id, couponId: r.couponId, name: r.coupon.name, issuedAt: r.issuedAt }));
  }
}
