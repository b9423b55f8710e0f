import type { Pool, PoolClient, QueryConfig, QueryResultRow } from "pg";
import { busy, isUnavailable, unavailable } from "../errors";
import type { SaleShut, SaleState } from "../issuance/sale";
import type { StrategyName } from "../issuance/strategy-names";
import { isCheckViolation, isUniqueViolation, orUnavailable } from "./pg-errors";

/**
 * The statements that write the ledger. Each bumps Coupon.issuedCount in the
 * same statement as its inserts, so the table's CHECK (issuedCount <=
 * totalQuantity) makes PostgreSQL refuse any over-issue by itself (docs/guarantees.md, promise 1).
 * They are plain SQL on the pool Prisma also uses: they run once per
 * request, and named statements skip re-parsing.
 */

export type SingleIssueResult = "issued" | "duplicate" | "sold-out" | "fenced";

/** A user's fate in an unfenced write. */
export type IssueResult = Exclude<SingleIssueResult, "fenced">;

/**
 * With $4 (an admission, not the settling of one already admitted) the sale
 * must be open too. That condition sits in the UPDATE's WHERE, which
 * PostgreSQL evaluates again on the newest row if an operator's change
 * commits meanwhile; `shut` reports the statement's snapshot, so a refusal
 * it cannot explain (neither shut nor full then) was a change that raced it.
 */
const ISSUE_ONE = `
WITH existing AS (
  SELECT 1 FROM "UserCoupon" WHERE "couponId" = $1 AND "userId" = $2
), bump AS (
  UPDATE "Coupon" c
     SET "issuedCount" = "issuedCount" + 1,
         "fenceToken" = COALESCE($3::bigint, "fenceToken")
   WHERE id = $1
     AND "issuedCount" < "totalQuantity"
     AND ($3::bigint IS NULL OR "fenceToken" <= $3::bigint)
     AND (NOT $4::boolean OR coupon_status(c) = 'live')
     AND NOT EXISTS (SELECT 1 FROM existing)
  RETURNING id
), ins AS (
  INSERT INTO "UserCoupon" ("couponId", "userId") SELECT id, $2 FROM bump RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM existing) AS duplicate,
       EXISTS (SELECT 1 FROM ins) AS issued,
       ($3::bigint IS NOT NULL AND (SELECT "fenceToken" FROM "Coupon" WHERE id = $1) > $3::bigint) AS fenced,
       (SELECT CASE coupon_status(c) WHEN 'scheduled' THEN 'not-started' WHEN 'live' THEN NULL WHEN 'sold-out' THEN 'sold-out'
               ELSE coupon_status(c) END FROM "Coupon" c WHERE id = $1) AS shut`;

/** How often an admission is run again when an operator's change raced it. */
const ADMIT_ATTEMPTS = 3;

const ISSUE_BATCH = `
WITH ins AS (
  INSERT INTO "UserCoupon" ("couponId", "userId")
  SELECT $1, u FROM unnest($2::bigint[]) WITH ORDINALITY AS t(u, n) ORDER BY n
  ON CONFLICT ("couponId", "userId") DO NOTHING
  RETURNING "userId"
), bump AS (
  UPDATE "Coupon" SET "issuedCount" = "issuedCount" + (SELECT count(*) FROM ins)::int
   WHERE id = $1
  RETURNING 1
)
SELECT "userId"::text AS "userId" FROM ins`;

/** Why a shopper who was admitted (queued or held) ends without a row: the ledger's limit was reached first. */
export const LIMIT_REACHED = "LIMIT_REACHED";

export type BatchResult = { ok: true; inserted: Set<string> } | { ok: false; reason: "limit" };

export class Ledger {
  constructor(private readonly pool: Pool) {}

  /**
   * One statement on a checked-out connection. A failure to get a connection
   * means nothing reached PostgreSQL; a failure after the statement was sent
   * leaves a write's fate unknown (UNAVAILABLE, maybeCommitted).
   */
  private run<R extends QueryResultRow>(query: QueryConfig) {
    return this.withClient((client) => orUnavailable(client.query<R>(query), true));
  }

  private async withClient<T>(work: (client: PoolClient, broken: () => void) => Promise<T>): Promise<T> {
    const client = await orUnavailable(this.pool.connect());
    let broken = false;
    // A connection lost between two statements is reported as an event on
    // the checked-out client; unheard, it would be an uncaught exception.
    const onError = () => (broken = true);
    client.on("error", onError);
    try {
      return await work(client, onError);
    } catch (err) {
      if (isUnavailable(err)) broken = true;
      throw err;
    } finally {
      client.off("error", onError);
      client.release(broken);
    }
  }

  /**
   * One shopper, one statement: issues unless already issued, sold out, or
   * (with a fencing token) a newer lock holder has already written.
   */
  async issueOne(couponId: number, userId: string, fenceToken: bigint | null = null): Promise<SingleIssueResult> {
    const r = await this.runIssueOne(couponId, userId, fenceToken, false);
    if (r.duplicate) return "duplicate";
    if (r.issued) return "issued";
    return r.fenced ? "fenced" : "sold-out";
  }

  /**
   * issueOne for a new shopper (the postgres strategy): only while the sale
   * is open and in its window. Work admitted earlier (holds, uncertain
   * writes) settles with issueOne, whatever the sale has become since.
   */
  async admitOne(couponId: number, userId: string): Promise<IssueResult | SaleShut> {
    for (let attempt = 1; ; attempt++) {
      const r = await this.runIssueOne(couponId, userId, null, true);
      if (r.duplicate) return "duplicate";
      if (r.issued) return "issued";
      if (r.shut !== null) return r.shut;
      // Refused, yet neither shut nor full in its snapshot: a change raced it. Nothing was written.
      if (attempt === ADMIT_ATTEMPTS) throw busy();
    }
  }

  private async runIssueOne(couponId: number, userId: string, fenceToken: bigint | null, admitting: boolean) {
    try {
      const { rows } = await this.run<{ duplicate: boolean; issued: boolean; fenced: boolean; shut: SaleShut | "sold-out" | null }>({
        name: "issue-one",
        text: ISSUE_ONE,
        values: [couponId, userId, fenceToken === null ? null : fenceToken.toString(), admitting],
      });
      return rows[0]!;
    } catch (err) {
      // Two requests of one user raced past the `existing` check.
      if (isUniqueViolation(err)) return { duplicate: true, issued: false, fenced: false, shut: null };
      throw err;
    }
  }

  /**
   * Many shoppers, one statement (group commit). Users who already have a row
   * are skipped; the counter grows by what was inserted. If that would pass
   * the limit, nothing is written and the caller falls back to issueOne.
   */
  async issueBatch(couponId: number, userIds: readonly string[]): Promise<BatchResult> {
    try {
      const { rows } = await this.run<{ userId: string }>({
        name: "issue-batch",
        text: ISSUE_BATCH,
        values: [couponId, userIds],
      });
      return { ok: true, inserted: new Set(rows.map((r) => r.userId)) };
    } catch (err) {
      if (isCheckViolation(err)) return { ok: false, reason: "limit" };
      throw err;
    }
  }

  /**
   * Issues users in the order given: one statement for all of them, or, when
   * that would pass the limit, one at a time, so exactly the earliest get the
   * places left. Idempotent: a user who already has a row is "duplicate".
   */
  async issueInOrder(couponId: number, userIds: readonly string[]): Promise<Map<string, IssueResult>> {
    const results = new Map<string, IssueResult>();
    if (userIds.length > 1) {
      const batch = await this.issueBatch(couponId, userIds);
      if (batch.ok) {
        for (const u of userIds) results.set(u, batch.inserted.has(u) ? "issued" : "duplicate");
        return results;
      }
    }
    for (const u of userIds) results.set(u, (await this.issueOne(couponId, u)) as IssueResult);
    return results;
  }

  /** Records queued shoppers PostgreSQL refused, so their REJECTED status outlives Redis. */
  async recordRejections(couponId: number, userIds: readonly string[], reason: string): Promise<void> {
    if (userIds.length === 0) return;
    await this.run({
      name: "record-rejections",
      text: `INSERT INTO "Rejection" ("couponId", "userId", reason)
             SELECT $1, u, $3 FROM unnest($2::bigint[]) AS t(u) ON CONFLICT DO NOTHING`,
      values: [couponId, userIds, reason],
    });
  }

  async rejection(couponId: number, userId: string): Promise<string | undefined> {
    const { rows } = await this.run<{ reason: string }>({
      name: "rejection",
      text: `SELECT reason FROM "Rejection" WHERE "couponId" = $1 AND "userId" = $2`,
      values: [couponId, userId],
    });
    return rows[0]?.reason;
  }

  /**
   * issueBatch under a lock's fencing token, in one transaction: the coupon
   * row is locked and its token raised first, so a holder whose token is
   * older than one PostgreSQL has seen writes nothing ("fenced").
   */
  issueBatchFenced(couponId: number, userIds: readonly string[], fence: bigint): Promise<BatchResult | { ok: false; reason: "fenced" }> {
    return this.withClient(async (client, markBroken) => {
      try {
        await client.query("BEGIN");
        const { rowCount } = await client.query({
          name: "raise-fence",
          text: `UPDATE "Coupon" SET "fenceToken" = $2 WHERE id = $1 AND "fenceToken" <= $2`,
          values: [couponId, fence.toString()],
        });
        if (rowCount !== 1) {
          await client.query("ROLLBACK");
          return { ok: false, reason: "fenced" } as const;
        }
        const { rows } = await client.query<{ userId: string }>({ name: "issue-batch", text: ISSUE_BATCH, values: [couponId, userIds] });
        await client.query("COMMIT");
        return { ok: true, inserted: new Set(rows.map((r) => r.userId)) } as const;
      } catch (err) {
        await client.query("ROLLBACK").catch(markBroken);
        if (isCheckViolation(err)) return { ok: false, reason: "limit" } as const;
        throw unavailable("PostgreSQL", err, true);
      }
    });
  }

  async hasRow(couponId: number, userId: string): Promise<boolean> {
    const { rowCount } = await this.run({
      name: "has-row",
      text: `SELECT 1 FROM "UserCoupon" WHERE "couponId" = $1 AND "userId" = $2`,
      values: [couponId, userId],
    });
    return rowCount === 1;
  }

  /**
   * Issued userIds, a page at a time in userId order (for rebuilding Redis
   * and reconciling). The keyset is the unique ("couponId", "userId") index,
   * so each page is an index-only range scan however large the coupon.
   *
   * A page comes back as one comma-separated text value that is split here:
   * pg builds a JS object per row, about 1 µs each, which was half the CPU a
   * rebuild of a million users spent in this process.
   */
  async *issuedUserIds(couponId: number, pageSize = 20_000): AsyncGenerator<string[]> {
    let after = "0";
    for (;;) {
      // The inner ORDER BY must be the bigint column, and the outer one too:
      // ordered as text ("10" < "9") while the keyset continues numerically,
      // pages would skip every row in between. (A bare "userId" in ORDER BY
      // names a select-list alias first, so never alias a text cast to it.)
      const { rows } = await this.run<{ ids: string | null }>({
        name: "issued-page",
        text: `SELECT string_agg(p."userId"::text, ',' ORDER BY p."userId") AS ids
                 FROM (SELECT "userId" FROM "UserCoupon"
                        WHERE "couponId" = $1 AND "userId" > $2::bigint
                        ORDER BY "UserCoupon"."userId" LIMIT $3) p`,
        values: [couponId, after, pageSize],
      });
      const ids = rows[0]?.ids;
      if (!ids) return;
      const page = ids.split(",");
      yield page;
      if (page.length < pageSize) return;
      after = page[page.length - 1]!;
    }
  }

  /**
   * Which of these users hold no row of the coupon. Only those come back:
   * reconcile asks this of every member of a large set, nearly all of whom
   * hold one, and parsing a row per member cost more than the lookups.
   */
  async withoutRows(couponId: number, userIds: readonly string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const { rows } = await this.run<{ userId: string }>({
      name: "without-rows",
      // Only a canonical positive 64-bit decimal can be someone's row: "007",
      // "abc" or 2^64 are strays, and never reach the bigint cast.
      text: `SELECT u AS "userId" FROM unnest($2::text[]) AS t(u)
              WHERE NOT EXISTS (SELECT 1 FROM "UserCoupon" WHERE "couponId" = $1 AND "userId" = CASE
                WHEN u ~ '^[1-9][0-9]{0,18}$' AND (length(u) < 19 OR u <= '9223372036854775807') THEN u::bigint END)`,
      values: [couponId, userIds],
    });
    return rows.map((r) => r.userId);
  }

  /** The newest fencing token PostgreSQL has accepted for the coupon. */
  async fenceToken(couponId: number): Promise<bigint | undefined> {
    const { rows } = await this.run<{ fenceToken: string }>({
      name: "fence-token",
      text: `SELECT "fenceToken"::text AS "fenceToken" FROM "Coupon" WHERE id = $1`,
      values: [couponId],
    });
    return rows[0] && BigInt(rows[0].fenceToken);
  }

  /** The coupon's limit and counter as PostgreSQL has them now. */
  async counts(couponId: number): Promise<{ totalQuantity: number; issuedCount: number } | undefined> {
    const { rows } = await this.run<{ totalQuantity: number; issuedCount: number }>({
      name: "coupon-counts",
      text: `SELECT "totalQuantity", "issuedCount" FROM "Coupon" WHERE id = $1`,
      values: [couponId],
    });
    return rows[0];
  }

  /** How many rows the coupon has: an index-only count on the unique ("couponId", "userId") index. */
  async rowCount(couponId: number): Promise<number> {
    const { rows } = await this.run<{ rows: number }>({
      name: "row-count",
      text: `SELECT count(*)::int AS rows FROM "UserCoupon" WHERE "couponId" = $1`,
      values: [couponId],
    });
    return rows[0]!.rows;
  }

  /** Coupons of these strategies whose sale window is open now, newest first, at most `limit`. */
  async liveCoupons(strategies: readonly StrategyName[], limit: number): Promise<LedgerCoupon[]> {
    const { rows } = await this.run<LedgerCoupon>({
      name: "live-coupons",
      text: `SELECT id, strategy, "startsAt", "endsAt", "totalQuantity", "saleState", "saleVersion", ${LEDGER_TAG} AS tag FROM "Coupon" c
              WHERE strategy = ANY($1::text[])
                AND ("startsAt" IS NULL OR "startsAt" <= now()) AND ("endsAt" IS NULL OR "endsAt" > now())
              ORDER BY id DESC LIMIT $2`,
      values: [strategies, limit],
    });
    return rows;
  }

  /** What the hot path needs of a coupon, with the tag of the ledger state it belongs to. */
  async couponRef(couponId: number): Promise<LedgerCoupon | undefined> {
    const { rows } = await this.run<LedgerCoupon>({
      name: "coupon-ref",
      text: `SELECT id, strategy, "startsAt", "endsAt", "totalQuantity", "saleState", "saleVersion", ${LEDGER_TAG} AS tag
               FROM "Coupon" c WHERE id = $1`,
      values: [couponId],
    });
    return rows[0];
  }
}

export interface LedgerCoupon {
  readonly id: number;
  readonly strategy: StrategyName;
  readonly startsAt: Date | null;
  readonly endsAt: Date | null;
  readonly totalQuantity: number;
  readonly saleState: SaleState;
  readonly saleVersion: number;
  readonly tag: string;
}

/**
 * Names the ledger state a coupon belongs to: the PostgreSQL cluster, the
 * database (a re-created database has a new oid), the timeline (a restored
 * backup or a promoted replica starts a new one) and the coupon row's own
 * incarnation. Redis state carries it, and state with another tag is
 * rebuilt, never used (see docs/guarantees.md).
 */
const LEDGER_TAG = `(SELECT system_identifier FROM pg_control_system())::text
  || '.' || (SELECT oid FROM pg_database WHERE datname = current_database())::text
  || '.' || (SELECT timeline_id FROM pg_control_checkpoint())::text
  || '.' || c.incarnation::text`;
