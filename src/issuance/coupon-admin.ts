import type { Writable } from "node:stream";
import { AppError, couponNotFound, rethrowAsUnavailable } from "../errors";
import type { Actor, AuditEntry, AuditLog, Tx } from "../db/audit-log";
import type { Coupon, CouponEdit, CouponRepository, GuardedResult, NewCoupon, Winner } from "../db/coupon-repository";
import type { Ledger } from "../db/ledger";
import type { CouponCatalog } from "./coupon-catalog";
import { forEachPage } from "../db/pages";
import type { CouponStore } from "../coupon-store/coupon-store";
import type { SaleCopies } from "./sale-copies";
import { EDITABLE_STATUSES, TRANSITIONS, type CouponStatus, type SaleAction } from "./sale";
import type { StrategySet } from "./issuance-service";
import type { CouponRef } from "./types";

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
  /** Redis holds an older copy of the sale (state and window) than PostgreSQL, e.g. after a change whose copy failed. */
  readonly saleMismatch: boolean;
  readonly counterMismatch: boolean;
  readonly repaired: boolean;
}

const SAMPLE = 100;

/** An operator's change: the coupon as it was, and as it is now. */
export interface Change {
  readonly before: Coupon;
  readonly after: Coupon;
}

/** A change of the sale, and whether it already holds in every process (false: Redis has not taken it yet; see SaleCopies). */
export interface SaleChange extends Change {
  readonly everywhere: boolean;
}

/**
 * The operator's side: create coupons, change limits and sales, repair
 * Redis. Every change is recorded in the audit trail with who made it
 * (`who`): in the same transaction as the change where the change is in
 * PostgreSQL, right after it where it is a repair of Redis.
 */
export class CouponAdmin {
  constructor(
    private readonly repo: CouponRepository,
    private readonly ledger: Ledger,
    private readonly catalog: CouponCatalog,
    private readonly store: CouponStore,
    private readonly strategies: StrategySet,
    private readonly saleCopies: SaleCopies,
    private readonly audit: AuditLog,
  ) {}

  async create(input: NewCoupon, who: Actor): Promise<Coupon> {
    const coupon = await this.audit.transaction(async (tx) => {
      const created = await this.repo.create(input, tx);
      await this.audit.record(who, { couponId: created.id, action: "create", before: null, after: settings(created) }, tx);
      return created;
    });
    this.catalog.forget(coupon.id);
    return coupon;
  }

  /** The coupon's audit trail, newest first (404 if there is no such coupon). */
  async auditTrail(id: number, limit: number, beforeId?: bigint): Promise<AuditEntry[]> {
    await this.get(id);
    return this.audit.page(id, limit, beforeId);
  }

  ids(): Promise<number[]> {
    return this.repo.ids();
  }

  async get(id: number): Promise<Coupon> {
    const coupon = await this.repo.find(id);
    if (!coupon) throw couponNotFound(id);
    return coupon;
  }

  /** A page of coupons, newest first, before the keyset `beforeId`. */
  list(options: { status?: CouponStatus | undefined; beforeId?: number | undefined; limit: number }): Promise<Coupon[]> {
    return this.repo.list(options);
  }

  /** A page of the coupon's winners in issue order, after the keyset `afterSeq`. */
  async winners(id: number, afterSeq: bigint, limit: number): Promise<Winner[]> {
    await this.get(id);
    return this.repo.winners(id, afterSeq, limit);
  }

  /** Streams every winner of the coupon as CSV to `out`; 404 before anything is written if there is no such coupon. */
  async exportWinners(id: number, out: Writable, beforeFirstByte: () => void): Promise<void> {
    await this.get(id);
    await this.repo.exportWinners(id, out, beforeFirstByte);
  }

  /**
   * Pause, resume or close the sale. PostgreSQL decides (one guarded
   * statement); Redis then gets the new state before we answer, so once the
   * operator has the answer (everywhere: true) no process admits anyone
   * against it. Work admitted before (queued, held) settles as usual.
   */
  async changeSale(id: number, action: SaleAction, who: Actor): Promise<SaleChange> {
    const t = TRANSITIONS[action];
    const result = await this.audit.transaction(async (tx) => {
      const r = await this.repo.setSaleState(id, t.to, t.from, tx);
      if (r?.after) await this.recordChange(who, action, r.before, r.after, tx);
      return r;
    });
    const { after, everywhere } = await this.applied(id, result);
    if (!after) throw invalidTransition(action, result!.before.status);
    return { before: result!.before, after, everywhere };
  }

  /** Changes name, description or window while nobody is admitted (scheduled or paused). */
  async edit(id: number, edit: CouponEdit, who: Actor): Promise<SaleChange> {
    const result = await this.audit.transaction(async (tx) => {
      const r = await this.repo.edit(id, edit, EDITABLE_STATUSES, tx);
      // Thrown inside: the refused statement has aborted the transaction.
      if (r === "window") throw windowReversed();
      if (r?.after) await this.recordChange(who, "edit", r.before, r.after, tx);
      return r;
    });
    const { after, everywhere } = await this.applied(id, result);
    if (!after) {
      const status = result!.before.status;
      throw new AppError("COUPON_NOT_EDITABLE", `Coupon ${id} is ${status}; pause it first (only scheduled or paused coupons change)`, {
        extra: { couponStatus: status },
      });
    }
    return { before: result!.before, after, everywhere };
  }

  /**
   * Copies the sale of a guarded change's outcome to Redis. A refused change
   * copies too (a no-op when Redis has it), so repeating a call whose copy
   * is still pending pushes it once more.
   */
  private async applied(id: number, result: GuardedResult): Promise<{ after: Coupon | undefined; everywhere: boolean }> {
    if (!result) throw couponNotFound(id);
    const now = result.after ?? result.before;
    // The catalog's window is only a fast refusal (admission checks the
    // window again); this process reads it anew now, others within CATALOG_REFRESH_MS.
    this.catalog.forget(id);
    const everywhere = !this.strategies[now.strategy].usesRedis || (await this.saleCopies.copy(now));
    return { after: result.after, everywhere };
  }

  /**
   * Takes effect at once in both stores. The stricter store always moves
   * first, so there is no moment in which Redis admits more than PostgreSQL
   * will take: lowering changes Redis (which refuses to go below what it
   * has admitted) and then PostgreSQL; raising goes the other way.
   */
  async setLimit(id: number, limit: number, who: Actor): Promise<Change> {
    const coupon = await this.get(id);
    const ref = await this.ref(id);
    const usesRedis = this.strategies[coupon.strategy].usesRedis;
    if (usesRedis && limit < coupon.totalQuantity) {
      const admitted = await this.store.setLimit(ref, limit).catch(redisDown);
      if (admitted !== undefined) throw limitBelowIssued(limit, admitted);
    }
    const result = await this.audit.transaction(async (tx) => {
      const r = await this.repo.setLimit(id, limit, tx);
      if (r?.ok) await this.recordChange(who, "set-limit", r.before, r.coupon, tx);
      return r;
    });
    if (!result) throw couponNotFound(id);
    if (!result.ok) {
      if (usesRedis) await this.store.setLimit(ref, coupon.totalQuantity).catch(redisDown);
      throw limitBelowIssued(limit, result.issuedCount);
    }
    if (usesRedis && limit >= coupon.totalQuantity) await this.store.setLimit(ref, limit).catch(redisDown);
    return { before: result.before, after: result.coupon };
  }

  private recordChange(who: Actor, action: string, before: Coupon, after: Coupon, tx: Tx): Promise<void> {
    return this.audit.record(who, { couponId: after.id, action, before: settings(before), after: settings(after) }, tx);
  }

  /**
   * Compares Redis with PostgreSQL and, unless dryRun, rebuilds Redis from
   * PostgreSQL. Both sides are streamed a page at a time (the ledger in
   * userId order against SMISMEMBER, the Redis set by SSCAN against the
   * ledger, unless the counts prove it holds nothing else), so memory stays
   * bounded at any size. A run that repaired something is audited.
   */
  async reconcile(id: number, dryRun: boolean, who: Actor): Promise<ReconcileReport> {
    const coupon = await this.get(id);
    const base = { couponId: id, strategy: coupon.strategy, dryRun };
    if (!this.strategies[coupon.strategy].usesRedis) {
      const rows = await this.countRows(id);
      const postgres = { totalQuantity: coupon.totalQuantity, issuedCount: coupon.issuedCount, rows };
      const none = { redis: null, missingInRedis: [], extraInRedis: [], limitMismatch: false, saleMismatch: false, repaired: false };
      return { ...base, postgres, counterMismatch: rows !== coupon.issuedCount, ...none };
    }
    const ref = await this.ref(id);
    const [snapshot, waiting] = await Promise.all([this.store.snapshot(ref), this.store.waitingUserIds(id)]).catch(redisDown);
    const missing = new Sample();
    let rows = 0;
    // Each page is checked against Redis while the next one is read from PostgreSQL.
    await forEachPage(this.ledger.issuedUserIds(id), async (page) => {
      rows += page.length;
      const known = snapshot.loaded ? await this.store.admittedAmong(id, page).catch(redisDown) : [];
      const absent = page.filter((_, i) => !known[i]);
      for (const u of absent) missing.add(u);
      // Repairs only add row holders, never replace the set, so no shopper's place is lost mid-sale.
      if (!dryRun && snapshot.loaded && absent.length) await this.store.addAdmitted(id, absent).catch(redisDown);
    });
    const extra = new Sample();
    // Every row found above is a member. If the set, counted now, has no
    // other members, none of them can lack a row, and the scan for strays
    // could only come back empty, so it is skipped. Counting after the rows
    // is safe: members with a row never leave a loaded set (repairs only
    // add); others only make the count larger. Any other count (holds of a
    // live sale, rows committed while we read, strays) takes the scan. The
    // row count alone is not enough: a stray plus a missing row add up to it.
    const found = rows - missing.count;
    const admittedNow = snapshot.loaded ? await this.store.admittedCount(id).catch(redisDown) : 0;
    if (snapshot.loaded && admittedNow !== found) {
      await this.removeStrays(id, waiting, dryRun, extra).catch(redisDown);
    }
    // The coupon row is read after the rows, so rows committed meanwhile do not look like drift.
    const counts = (await this.ledger.counts(id)) ?? coupon;
    const postgres = { totalQuantity: counts.totalQuantity, issuedCount: counts.issuedCount, rows };
    const limitMismatch = snapshot.loaded && snapshot.limit !== counts.totalQuantity;
    // Only an older copy is drift: a newer one is a change made while we compared.
    const saleMismatch = snapshot.loaded && (snapshot.saleVersion ?? -1) < coupon.sale.version;
    const differs = !snapshot.loaded || missing.count > 0 || extra.count > 0 || limitMismatch || saleMismatch;
    if (!dryRun && !snapshot.loaded) await this.store.ensureLoaded(id);
    if (!dryRun && limitMismatch) await this.store.setLimit(ref, counts.totalQuantity).catch(redisDown);
    if (!dryRun && saleMismatch) await this.store.setSale(id, coupon.sale).catch(redisDown);
    const repaired = differs && !dryRun;
    if (repaired) {
      const before = { loaded: snapshot.loaded, limit: snapshot.limit ?? null, admitted: snapshot.admitted, saleVersion: snapshot.saleVersion ?? null };
      const after = {
        addedToRedis: missing.count,
        removedFromRedis: extra.count,
        limitSetTo: limitMismatch ? counts.totalQuantity : null,
        saleVersionSetTo: saleMismatch ? coupon.sale.version : null,
        rebuilt: !snapshot.loaded,
      };
      await this.audit.record(who, { couponId: id, action: "reconcile", before, after });
    }
    return {
      ...base,
      postgres,
      counterMismatch: rows !== counts.issuedCount,
      redis: { loaded: snapshot.loaded, limit: snapshot.limit ?? null, admitted: snapshot.admitted },
      missingInRedis: missing.items,
      extraInRedis: extra.items,
      limitMismatch,
      saleMismatch,
      repaired,
    };
  }

  /**
   * Members with no row, no hold and no queue entry. The ledger is staged
   * in Redis and the set compared with it there (a lookup per member in
   * PostgreSQL would cost seconds at a million); the few members found are
   * checked in PostgreSQL once more, since a row may have committed after
   * its page was read. Unless dryRun, they are removed (if still not held).
   */
  private async removeStrays(id: number, waiting: ReadonlySet<string>, dryRun: boolean, found: Sample): Promise<void> {
    const staging = await this.store.stageLedger(id);
    try {
      for await (const absent of this.store.admittedNotIn(id, staging)) {
        const strays = await this.ledger.withoutRows(id, absent.filter((u) => !waiting.has(u)));
        if (!dryRun) await this.store.dropStrays(id, strays);
        for (const u of strays) found.add(u);
      }
    } finally {
      await this.store.discard(staging);
    }
  }

  private async ref(id: number): Promise<CouponRef> {
    const ref = await this.catalog.get(id);
    if (!ref) throw couponNotFound(id);
    return ref;
  }

  private async countRows(id: number): Promise<number> {
    let rows = 0;
    for await (const page of this.ledger.issuedUserIds(id)) rows += page.length;
    return rows;
  }
}

/** The first SAMPLE items of a difference, and how many there were. */
class Sample {
  readonly items: string[] = [];
  count = 0;
  add(item: string): void {
    if (this.count++ < SAMPLE) this.items.push(item);
  }
}

/** A coupon as an operator set it, for the audit trail's before and after. */
const settings = (c: Coupon) => ({
  name: c.name,
  description: c.description,
  strategy: c.strategy,
  totalQuantity: c.totalQuantity,
  startsAt: c.startsAt,
  endsAt: c.endsAt,
  status: c.status,
});

const windowReversed = () =>
  new AppError("VALIDATION_FAILED", "endsAt must be after startsAt", { extra: { errors: [{ path: "endsAt", message: "must be after startsAt" }] } });

const invalidTransition = (action: SaleAction, status: CouponStatus) =>
  new AppError("INVALID_TRANSITION", `Cannot ${action} coupon: it is ${status}`, { extra: { action, couponStatus: status } });

const limitBelowIssued = (limit: number, issued: number) =>
  new AppError("LIMIT_BELOW_ISSUED", `Cannot set the limit to ${limit}: ${issued} are already issued or admitted`);

const redisDown = rethrowAsUnavailable("Redis");
