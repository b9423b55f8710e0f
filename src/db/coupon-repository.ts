import type { Tx } from "./audit-log";
import type { Database } from "./database";
import { isCheckViolation, orUnavailable } from "./pg-errors";
import type { CouponStatus, Sale, SaleState } from "../issuance/sale";
import type { StrategyName } from "../issuance/strategy-names";
import { Prisma } from "./generated/client";
import { exportWinnersCsv } from "./winners-export";
import type { Writable } from "node:stream";

export interface Coupon {
  readonly id: number;
  readonly name: string;
  readonly description: string | null;
  readonly totalQuantity: number;
  readonly issuedCount: number;
  readonly strategy: StrategyName;
  readonly startsAt: Date | null;
  readonly endsAt: Date | null;
  /** What the coupon is now (coupon_status in PostgreSQL). */
  readonly status: CouponStatus;
  readonly sale: Sale;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewCoupon {
  name: string;
  description?: string | undefined;
  totalQuantity: number;
  strategy: StrategyName;
  startsAt?: Date | undefined;
  endsAt?: Date | undefined;
}

/** What PATCH may change; `null` clears a window bound, absent leaves it. */
export interface CouponEdit {
  name?: string | undefined;
  description?: string | null | undefined;
  startsAt?: Date | null | undefined;
  endsAt?: Date | null | undefined;
}

export interface Winner {
  /** The row's id: issue order, and the keyset of the winners' pages. */
  readonly seq: bigint;
  readonly userId: string;
  readonly issuedAt: Date;
}

interface CouponRow {
  id: number;
  name: string;
  description: string | null;
  totalQuantity: number;
  issuedCount: number;
  strategy: string;
  startsAt: Date | null;
  endsAt: Date | null;
  saleState: string;
  saleVersion: number;
  status: string;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = Prisma.sql`c.id, c.name, c.description, c."totalQuantity", c."issuedCount", c.strategy, c."startsAt", c."endsAt",
  c."saleState", c."saleVersion", coupon_status(c) AS status, c."createdAt", c."updatedAt"`;

const toCoupon = (row: CouponRow): Coupon => ({
  id: row.id,
  name: row.name,
  description: row.description,
  totalQuantity: row.totalQuantity,
  issuedCount: row.issuedCount,
  strategy: row.strategy as StrategyName,
  startsAt: row.startsAt,
  endsAt: row.endsAt,
  status: row.status as CouponStatus,
  sale: { state: row.saleState as SaleState, startsAt: row.startsAt, endsAt: row.endsAt, version: row.saleVersion },
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** `before`: the coupon as the change found it (its row locked), so an audit entry says exactly what was replaced. */
export type SetLimitResult = { ok: true; before: Coupon; coupon: Coupon } | { ok: false; issuedCount: number } | undefined;
/** A guarded change: the coupon before it, and after it unless the guard refused; undefined if no such coupon. */
export type GuardedResult = { before: Coupon; after: Coupon | undefined } | undefined;

/** A coupon a shopper holds. */
export interface Holding {
  /** The row's id: newer rows have larger ones. */
  readonly id: bigint;
  readonly couponId: number;
  readonly name: string;
  readonly issuedAt: Date;
}

/**
 * The coupon rows. Every read returns the status as PostgreSQL computes it
 * (coupon_status), so a list filter, a transition's guard and an answer can
 * never disagree about what a coupon is.
 */
export class CouponRepository {
  constructor(private readonly db: Database) {}

  /** Every method that changes a coupon takes `tx`: the transaction that also records the change (see AuditLog). */
  private async rows(query: Prisma.Sql, tx: Tx = this.db.prisma): Promise<Coupon[]> {
    return (await orUnavailable(tx.$queryRaw<CouponRow[]>(query))).map(toCoupon);
  }

  async create(input: NewCoupon, tx: Tx = this.db.prisma): Promise<Coupon> {
    const { id } = await orUnavailable(tx.coupon.create({ data: input, select: { id: true } }));
    return (await this.find(id, tx))!;
  }

  async find(id: number, tx: Tx = this.db.prisma): Promise<Coupon | undefined> {
    return (await this.rows(Prisma.sql`SELECT ${COLUMNS} FROM "Coupon" c WHERE c.id = ${id}`, tx))[0];
  }

  /** Coupons newest first, after the keyset `beforeId` (exclusive), optionally of one status. */
  list(options: { status?: CouponStatus | undefined; beforeId?: number | undefined; limit: number }): Promise<Coupon[]> {
    const before = options.beforeId === undefined ? Prisma.empty : Prisma.sql`AND c.id < ${options.beforeId}`;
    const status = options.status === undefined ? Prisma.empty : Prisma.sql`AND coupon_status(c) = ${options.status}`;
    return this.rows(Prisma.sql`SELECT ${COLUMNS} FROM "Coupon" c WHERE true ${before} ${status} ORDER BY c.id DESC LIMIT ${options.limit}`);
  }

  /** Every coupon's id, oldest first. */
  async ids(): Promise<number[]> {
    const rows = await orUnavailable(this.db.prisma.coupon.findMany({ select: { id: true }, orderBy: { id: "asc" } }));
    return rows.map((r) => r.id);
  }

  /**
   * Sets the limit unless more are already issued; undefined if no such
   * coupon. Run it in a transaction (`tx`): the row is locked first, so
   * `before` is the coupon this change replaced.
   */
  async setLimit(id: number, totalQuantity: number, tx: Tx): Promise<SetLimitResult> {
    const [before] = await this.rows(Prisma.sql`SELECT ${COLUMNS} FROM "Coupon" c WHERE c.id = ${id} FOR UPDATE`, tx);
    if (!before) return undefined;
    const { count } = await orUnavailable(tx.coupon.updateMany({ where: { id, issuedCount: { lte: totalQuantity } }, data: { totalQuantity } }));
    const coupon = (await this.find(id, tx))!;
    return count === 1 ? { ok: true, before, coupon } : { ok: false, issuedCount: coupon.issuedCount };
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

  /**
   * Sets the sale state if the coupon's status is one of `from`, in one
   * statement: the guard is evaluated again on the newest row if another
   * change commits meanwhile, so two operators cannot both close a sale.
   */
  setSaleState(id: number, to: SaleState, from: readonly CouponStatus[], tx?: Tx): Promise<GuardedResult> {
    return this.guarded(id, from, Prisma.sql`"saleState" = ${to}`, tx);
  }

  /**
   * Applies an edit if the coupon's status is one of `editable`. A window
   * whose end would not be after its start is refused by the table's CHECK:
   * "window".
   */
  async edit(id: number, edit: CouponEdit, editable: readonly CouponStatus[], tx?: Tx): Promise<GuardedResult | "window"> {
    const set = [
      edit.name === undefined ? undefined : Prisma.sql`name = ${edit.name}`,
      edit.description === undefined ? undefined : Prisma.sql`description = ${edit.description}`,
      edit.startsAt === undefined ? undefined : Prisma.sql`"startsAt" = ${edit.startsAt}`,
      edit.endsAt === undefined ? undefined : Prisma.sql`"endsAt" = ${edit.endsAt}`,
    ].filter((s) => s !== undefined);
    try {
      return await this.guarded(id, editable, Prisma.join(set), tx);
    } catch (err) {
      if (isCheckViolation(err)) return "window";
      throw err;
    }
  }

  /** Winners in issue order, after the keyset `afterSeq` (exclusive). */
  async winners(couponId: number, afterSeq: bigint, limit: number): Promise<Winner[]> {
    return orUnavailable(
      this.db.prisma.$queryRaw<Winner[]>(
        Prisma.sql`SELECT id AS seq, "userId"::text AS "userId", "issuedAt" FROM "UserCoupon"
                    WHERE "couponId" = ${couponId} AND id > ${afterSeq} ORDER BY id LIMIT ${limit}`,
      ),
    );
  }

  /**
   * One statement: locks the row, reads it as it is, and applies `set` (and
   * a new saleVersion) if its status is one of `from`. The guard is checked
   * on the locked, newest row, so two operators cannot both close a sale,
   * and the "before" is exactly what the change replaced.
   */
  /** Every winner as CSV, streamed to `out` (see winners-export.ts). */
  exportWinners(couponId: number, out: Writable, beforeFirstByte: () => void): Promise<void> {
    return exportWinnersCsv(this.db.exportPool, couponId, out, beforeFirstByte);
  }

  private async guarded(id: number, from: readonly CouponStatus[], set: Prisma.Sql, tx: Tx = this.db.prisma): Promise<GuardedResult> {
    const rows = await orUnavailable(
      tx.$queryRaw<(CouponRow & { after: boolean })[]>(Prisma.sql`
        WITH before AS (SELECT ${COLUMNS} FROM "Coupon" c WHERE c.id = ${id} FOR UPDATE),
        after AS (
          UPDATE "Coupon" c SET ${set}, "saleVersion" = c."saleVersion" + 1, "updatedAt" = now()
           WHERE c.id = (SELECT id FROM before) AND coupon_status(c) = ANY(${[...from]}::text[])
          RETURNING ${COLUMNS})
        SELECT false AS after, * FROM before UNION ALL SELECT true, * FROM after`),
    );
    const before = rows.find((r) => !r.after);
    const after = rows.find((r) => r.after);
    return before && { before: toCoupon(before), after: after && toCoupon(after) };
  }
}
