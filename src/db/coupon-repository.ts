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

export type SetLimitResult = { ok: true; coupon: Coupon } | { ok: false; issuedCount: number } | undefined;

export class CouponRepository {
  constructor(private readonly db: Database) {}

  async create(input: NewCoupon): Promise<Coupon> {
    return toCoupon(await orUnavailable(this.db.prisma.coupon.create({ data: input })));
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

  /** Sets the limit unless more are already issued; undefined if no such coupon. */
  async setLimit(id: number, totalQuantity: number): Promise<SetLimitResult> {
    const { count } = await orUnavailable(
      this.db.prisma.coupon.updateMany({ where: { id, issuedCount: { lte: totalQuantity } }, data: { totalQuantity } }),
    );
    const coupon = await this.find(id);
    if (!coupon) return undefined;
    return count === 1 ? { ok: true, coupon } : { ok: false, issuedCount: coupon.issuedCount };
  }
}
