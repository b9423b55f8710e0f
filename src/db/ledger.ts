import type { Pool, PoolClient, QueryConfig, QueryResultRow } from "pg";
import { busy, isUnavailable } from "../errors";
import type { SaleShut, SaleState } from "../issuance/sale";
import type { StrategyName } from "../issuance/strategy-names";
import { isUniqueViolation, orUnavailable } from "./pg-errors";

/**
 * The statements that write the ledger. Each bumps Coupon.issuedCount in the
 * same statement as its inserts, so the table's CHECK (issuedCount <=
 * totalQuantity) makes PostgreSQL refuse any over-issue by itself (docs/guarantees.md, promise 1).
 * They are plain SQL on the pool Prisma also uses: they run on the hot
 * path, and named statements skip re-parsing.
 */

/** One row to write: this user gets a place of this coupon. */
export interface RowToIssue {
  readonly couponId: number;
  readonly userId: string;
}

/**
 * What became of one row of a write. "fenced": a lock holder with a newer
 * fencing token has written the coupon, so this (older) holder wrote
 * nothing; only a fenced write can end so.
 */
export type WriteResult = "issued" | "duplicate" | "sold-out" | "fenced";
/** What an unfenced write can end as. */
export type UnfencedResult = Exclude<WriteResult, "fenced">;
/** The fencing token each coupon's rows are written under (the lock strategy's). */
export type Fences = ReadonlyMap<number, bigint>;

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

/**
 * Rows of many coupons in one statement, each coupon's limit checked on its
 * own. Every coupon of the batch is locked first, in id order (two batches
 * never deadlock; the lock is the one the UPDATE takes anyway, so foreign-key
 * checks of other writers are not blocked), and its room and fence read as
 * committed now. A coupon
 * whose new users (those without a row in this statement's snapshot) fit in
 * its room, and whose fence is not older than the ledger's, gets its rows
 * inserted and its counter bumped by exactly what was inserted, so the CHECK
 * constraint is never reached and one full coupon cannot fail the others.
 * The snapshot can only overstate the new users (a row committed since is
 * skipped by ON CONFLICT), so "fits" never lets a coupon pass its limit.
 * Answers one line per coupon: 'written' with the users inserted, 'fenced',
 * or 'full' (its rows are settled one at a time, in order, by the caller).
 */
const ISSUE_MANY = `
WITH input AS (
  SELECT c, u, n FROM unnest($1::int[], $2::bigint[]) WITH ORDINALITY AS t(c, u, n)
), fresh AS (
  SELECT DISTINCT ON (c, u) c, u, n FROM input
   WHERE NOT EXISTS (SELECT 1 FROM "UserCoupon" x WHERE x."couponId" = input.c AND x."userId" = input.u)
   ORDER BY c, u, n
), wanted AS (
  SELECT c, count(*)::int AS k FROM fresh GROUP BY c
), fence AS (
  SELECT c, f FROM unnest($3::int[], $4::bigint[]) AS t(c, f)
), locked AS MATERIALIZED (
  SELECT id, "totalQuantity" - "issuedCount" AS room, "fenceToken"
    FROM "Coupon" WHERE id = ANY($1::int[])
   ORDER BY id FOR NO KEY UPDATE
), verdict AS (
  SELECT l.id, fence.f, (fence.f IS NULL OR l."fenceToken" <= fence.f) AS unfenced, coalesce(w.k, 0) <= l.room AS fits
    FROM locked l LEFT JOIN wanted w ON w.c = l.id LEFT JOIN fence ON fence.c = l.id
), ins AS (
  INSERT INTO "UserCoupon" ("couponId", "userId")
  SELECT f.c, f.u FROM fresh f JOIN verdict v ON v.id = f.c AND v.unfenced AND v.fits ORDER BY f.n
  ON CONFLICT ("couponId", "userId") DO NOTHING
  RETURNING "couponId", "userId"
), inserted AS (
  SELECT "couponId" AS c, count(*)::int AS k, string_agg("userId"::text, ',') AS users FROM ins GROUP BY 1
), bump AS (
  UPDATE "Coupon" co
     SET "issuedCount" = co."issuedCount" + coalesce(i.k, 0), "fenceToken" = coalesce(v.f, co."fenceToken")
    FROM verdict v LEFT JOIN inserted i ON i.c = v.id
   WHERE co.id = v.id AND v.unfenced AND v.fits AND (i.k IS NOT NULL OR v.f IS NOT NULL)
)
SELECT v.id AS "couponId",
       CASE WHEN NOT v.unfenced THEN 'fenced' WHEN NOT v.fits THEN 'full' ELSE 'written' END AS state,
       i.users
  FROM verdict v LEFT JOIN inserted i ON i.c = v.id`;

type CouponVerdict = { couponId: number; state: "written" | "fenced" | "full"; users: string | null };

/** Why a shopper who was admitted (queued or held) ends without a row: the ledger's limit was reached first. */
export const LIMIT_REACHED = "LIMIT_REACHED";

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

  private async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await orUnavailable(this.pool.connect());
    let broken = false;
    // A connection lost between two statements is reported as an event on
    // the checked-out client; unheard, it would be an uncaught exception.
    const onError = () => (broken = true);
    client.on("error", onError);
    try {
      return await work(client);
    } catch (err) {
      if (isUnavailable(err)) broken = true;
      throw err;
    } finally {
      client.off("error", onError);
      client.release(broken);
    }
  }

  /**
   * Writes rows, of one coupon or many, and answers each row's fate in the
   * order given. Every writer of the ledger goes through here: group
   * commit, the queue worker, the lock's fenced writes, the sweepers and the
   * postgres baseline. One row is one statement; more are one statement for
   * every coupon whose rows fit its room, and the rows of a coupon that would
   * pass its limit then go one at a time in the order given, so exactly the
   * earliest get the places left. A user listed twice is issued once (the
   * later copy is "duplicate"). Idempotent: a row already there is
   * "duplicate", so a write whose reply was lost can simply be sent again.
   * With `fences`, a coupon's rows are written only under a fencing token no
   * older than one the ledger has seen, which it then records.
   */
  issue(rows: readonly RowToIssue[]): Promise<UnfencedResult[]>;
  issue(rows: readonly RowToIssue[], fences: Fences): Promise<WriteResult[]>;
  async issue(rows: readonly RowToIssue[], fences?: Fences): Promise<WriteResult[]> {
    if (rows.length === 0) return [];
    if (rows.length === 1) return [await this.issueOne(rows[0]!, fences?.get(rows[0]!.couponId))];
    const verdicts = await this.issueMany(rows, fences);
    const results = rows.map((r): WriteResult | undefined => {
      const v = verdicts.get(r.couponId);
      if (!v || v.state === "full") return undefined;
      return v.state === "fenced" ? "fenced" : v.inserted.delete(r.userId) ? "issued" : "duplicate";
    });
    // Full coupons, and coupons the ledger does not have, one row at a time.
    const fenced = new Set<number>();
    for (const [i, r] of rows.entries()) {
      if (results[i]) continue;
      results[i] = fenced.has(r.couponId) ? "fenced" : await this.issueOne(r, fences?.get(r.couponId));
      if (results[i] === "fenced") fenced.add(r.couponId);
    }
    return results as WriteResult[];
  }

  /** Each coupon's verdict; a written coupon's users inserted (the first of their copies in `rows` is the one issued). */
  private async issueMany(rows: readonly RowToIssue[], fences: Fences | undefined) {
    const fenced = [...(fences ?? [])];
    const { rows: verdicts } = await this.run<CouponVerdict>({
      name: "issue-many",
      text: ISSUE_MANY,
      values: [rows.map((r) => r.couponId), rows.map((r) => r.userId), fenced.map(([c]) => c), fenced.map(([, f]) => f.toString())],
    });
    return new Map(verdicts.map((v) => [v.couponId, { state: v.state, inserted: new Set(v.users?.split(",")) }]));
  }

  /**
   * One new shopper of the postgres strategy: issues only while the sale is
   * open and in its window. Rows admitted earlier (holds, queued, uncertain
   * writes) are written with `issue`, whatever the sale has become since.
   */
  async admitOne(couponId: number, userId: string): Promise<UnfencedResult | SaleShut> {
    for (let attempt = 1; ; attempt++) {
      const r = await this.runIssueOne({ couponId, userId }, undefined, true);
      if (r.duplicate) return "duplicate";
      if (r.issued) return "issued";
      if (r.shut !== null) return r.shut;
      // Refused, yet neither shut nor full in its snapshot: a change raced it. Nothing was written.
      if (attempt === ADMIT_ATTEMPTS) throw busy();
    }
  }

  /** One row, one statement: issues unless already issued, sold out, or fenced. */
  private async issueOne(row: RowToIssue, fence: bigint | undefined): Promise<WriteResult> {
    const r = await this.runIssueOne(row, fence, false);
    if (r.duplicate) return "duplicate";
    if (r.issued) return "issued";
    return r.fenced ? "fenced" : "sold-out";
  }

  private async runIssueOne(row: RowToIssue, fence: bigint | undefined, admitting: boolean) {
    try {
      const { rows } = await this.run<{ duplicate: boolean; issued: boolean; fenced: boolean; shut: SaleShut | "sold-out" | null }>({
        name: "issue-one",
        text: ISSUE_ONE,
        values: [row.couponId, row.userId, fence === undefined ? null : fence.toString(), admitting],
      });
      return rows[0]!;
    } catch (err) {
      // Two requests of one user raced past the `existing` check.
      if (isUniqueViolation(err)) return { duplicate: true, issued: false, fenced: false, shut: null };
      throw err;
    }
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
    return (await this.couponRefs([couponId]))[0];
  }

  /** couponRef of many coupons in one statement; ids the ledger does not have are left out. */
  async couponRefs(couponIds: readonly number[]): Promise<LedgerCoupon[]> {
    const { rows } = await this.run<LedgerCoupon>({
      name: "coupon-refs",
      text: `SELECT id, strategy, "startsAt", "endsAt", "totalQuantity", "saleState", "saleVersion", ${LEDGER_TAG} AS tag
               FROM "Coupon" c WHERE id = ANY($1::int[])`,
      values: [couponIds],
    });
    return rows;
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
