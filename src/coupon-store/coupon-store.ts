import type { Ledger, LedgerCoupon } from "../db/ledger";
import { forEachPage } from "../db/pages";
import { couponNotFound, isAmbiguousWrite, rethrowAsUnavailable, unavailable } from "../errors";
import { answerWithin, type RedisClient } from "../redis/client";
import { changesChannel } from "./change-notices";
import { defineCouponCommands } from "./commands";
import { couponKeys, stagingKey } from "./keys";
import {
  admissionCheck,
  admissionChecks,
  holdAdmission,
  NOT_LOADED,
  queueAdmission,
  type AdmissionCheck,
  type AdmissionChecks,
  type HoldAdmission,
  type QueueAdmission,
} from "./replies";
import type { Sale } from "../issuance/sale";
import type { SaleArgs } from "./commands";

/** A coupon as a caller knows it: its id, and the tag of the ledger state its Redis state must carry. */
export interface StoredCoupon {
  readonly id: number;
  readonly tag: string;
}

/** A state-changing script was sent but not answered: it may have run, or may still run. */
export const OUTCOME_UNKNOWN = Symbol("outcome unknown");

const STAGING_TTL_SECONDS = 300;
const REPAIR_INTERVAL_MS = 1_000;
/**
 * Members per SADD (and SMISMEMBER) while staging a rebuild or reconciling:
 * large enough to be fast, small enough never to block Redis for long. A
 * member costs about 1 µs of Redis time on a slow core, so 1,000 keep each
 * command near 1 ms; 5,000 in a MULTI of four made EXECs of 20-130 ms.
 */
const STAGING_CHUNK = 1_000;

export interface RedisCouponSnapshot {
  readonly loaded: boolean;
  readonly limit: number | undefined;
  /** Members of the admitted set: shoppers with a row, plus those queued or held. */
  readonly admitted: number;
  /** The version of the sale copy Redis holds (see setSale-1.lua), if any. */
  readonly saleVersion: number | undefined;
  /** Admitted to the queue, row not written yet (the pending hash). */
  readonly queued: number;
  /** Holding a place whose row is not confirmed yet (the holds sorted set). */
  readonly held: number;
}

export interface CouponStoreOptions {
  /** The longest a request waits for one admission script's answer. */
  readonly answerWithinMs: number;
  /** A coupon was (re)loaded into Redis from PostgreSQL, with this many row holders (0 on a first load). */
  readonly onRebuilt?: (couponId: number, holders: number) => void;
  /** Redis holds a newer ledger state of the coupon than this process knows: forget what it knows. */
  readonly onStale?: (couponId: number) => void;
}

/**
 * The part of a coupon's state that lives in Redis (limit, admitted set,
 * holds), how shoppers are admitted against it, and how it is rebuilt from
 * PostgreSQL. This module alone knows the coupon keys, the scripts'
 * arguments and their reply codes; callers see typed answers. Every coupon's
 * state carries the tag of the ledger state it was built from; scripts treat
 * state with another tag as not loaded, so Redis state that outlived its
 * database is replaced, never used.
 */
export class CouponStore {
  private readonly loading = new Map<number, Promise<string>>();
  private readonly lastRepair = new Map<number, number>();
  /** Where the scripts that free or add a place announce it. */
  private readonly changes: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly ledger: Ledger,
    private readonly options: CouponStoreOptions,
  ) {
    defineCouponCommands(redis);
    this.changes = changesChannel(redis);
  }

  /** redis-set: admit the shopper as a hold that is theirs for `holdMs` unless confirmed or released. */
  async admitHold(coupon: StoredCoupon, userId: string, holdMs: number): Promise<HoldAdmission | typeof OUTCOME_UNKNOWN> {
    const k = couponKeys(coupon.id);
    const code = await this.admitWrite(coupon, (tag) => this.redis.issueRedisSet(k.meta, k.issued, k.holds, userId, tag, holdMs));
    return code === OUTCOME_UNKNOWN ? code : holdAdmission(code);
  }

  /** queue: admit the shopper and append them to the coupon's queue. */
  async admitToQueue(coupon: StoredCoupon, userId: string): Promise<QueueAdmission | typeof OUTCOME_UNKNOWN> {
    const k = couponKeys(coupon.id);
    const code = await this.admitWrite(coupon, (tag) => this.redis.admitToQueue(k.meta, k.issued, k.pending, k.queue, userId, Date.now(), tag));
    return code === OUTCOME_UNKNOWN ? code : queueAdmission(code);
  }

  /** lock: would the shopper be admitted? Reads only, so a failure means nothing changed. */
  async checkAdmission(coupon: StoredCoupon, userId: string): Promise<AdmissionCheck> {
    const k = couponKeys(coupon.id);
    return admissionCheck(await this.admit(coupon, (tag) => this.redis.checkAdmission(k.meta, k.issued, userId, tag)));
  }

  /** lock: places left, and which of these shoppers (in order, no repeats) are already admitted. Reads only. */
  async checkAdmissions(coupon: StoredCoupon, userIds: readonly string[]): Promise<AdmissionChecks> {
    const k = couponKeys(coupon.id);
    return admissionChecks(await this.admit(coupon, (tag) => this.redis.checkAdmissions(k.meta, k.issued, tag, ...userIds)));
  }

  /** Whether the shopper waits in the coupon's queue. */
  isQueued(couponId: number, userId: string): Promise<boolean> {
    return this.redis.hexists(couponKeys(couponId).pending, userId).then((n) => n === 1);
  }

  /**
   * Runs an admission script with the coupon's tag; if it finds the coupon
   * not loaded, loads it from PostgreSQL and runs it once more. Each run is
   * bounded by `answerWithinMs`. Failures become UNAVAILABLE, marked
   * maybeCommitted when the script may have run (or may still run).
   */
  private async admit<T>(coupon: StoredCoupon, script: (tag: string) => Promise<T>): Promise<T> {
    const run = (tag: string) => answerWithin(script(tag), this.options.answerWithinMs).catch(rethrowAsUnavailable("Redis"));
    const reply = await run(coupon.tag);
    if (reply !== NOT_LOADED) return reply;
    // A load admits no one, so whatever became of it, this request changed nothing yet.
    const loaded = await this.ensureLoaded(coupon.id).catch((err) => {
      throw isAmbiguousWrite(err) ? unavailable("Redis", err) : err;
    });
    if (loaded !== coupon.tag) {
      // The ledger was re-created or restored under this process: what it
      // knows of the coupon is stale. Nothing was admitted; ask again.
      this.options.onStale?.(coupon.id);
      throw unavailable("Redis", new Error(`coupon ${coupon.id} belongs to another ledger state`));
    }
    const again = await run(coupon.tag);
    if (again === NOT_LOADED) throw unavailable("Redis", new Error("coupon keys vanished right after loading"));
    return again;
  }

  /**
   * `admit` for scripts that change state: one that may have run resolves
   * OUTCOME_UNKNOWN instead of failing, so the caller can answer PENDING
   * rather than an error that might be false.
   */
  private admitWrite<T>(coupon: StoredCoupon, script: (tag: string) => Promise<T>): Promise<T | typeof OUTCOME_UNKNOWN> {
    return this.admit(coupon, script).catch((err) => {
      if (isAmbiguousWrite(err)) return OUTCOME_UNKNOWN;
      throw err;
    });
  }

  /** Loads the coupon's keys from PostgreSQL unless someone already has; resolves with the ledger tag. */
  ensureLoaded(couponId: number): Promise<string> {
    let p = this.loading.get(couponId);
    if (!p) {
      p = this.publish(couponId)
        .then((r) => r.tag)
        .catch(rethrowAsUnavailable("Redis"))
        .finally(() => this.loading.delete(couponId));
      this.loading.set(couponId, p);
    }
    return p;
  }

  /**
   * PostgreSQL just contradicted Redis (refused a shopper Redis admitted, or
   * already had them). That happens when writes admitted before Redis lost
   * its data commit after the rebuild read the ledger. The ledger already
   * kept the answer right; this brings Redis back in line, at most once a
   * second per coupon, in the background.
   */
  repairSoon(couponId: number): void {
    const now = Date.now();
    if (now - (this.lastRepair.get(couponId) ?? 0) < REPAIR_INTERVAL_MS) return;
    this.lastRepair.set(couponId, now);
    if (this.lastRepair.size > 10_000) this.lastRepair.clear();
    setTimeout(() => void this.addLedgerHolders(couponId).catch(() => undefined), REPAIR_INTERVAL_MS / 4).unref();
  }

  /**
   * Adds every holder of a row to the coupon's admitted set, page by page,
   * while the sale goes on. It only adds, so it can never take a place from
   * anyone: replacing the set with a fresh read would drop shoppers whose
   * rows committed after the read (their holds already confirmed), and Redis
   * would then sell their places again.
   */
  async addLedgerHolders(couponId: number): Promise<void> {
    const keys = couponKeys(couponId);
    let added = 0;
    await forEachPage(this.ledger.issuedUserIds(couponId), async (page) => {
      added += await this.addAll(keys.issued, page);
    })
      .catch(rethrowAsUnavailable("Redis"))
      .finally(() => this.announceAdded(couponId, added));
    // A limit above the ledger's makes Redis admit shoppers PostgreSQL will
    // refuse; lower it. Never raise it here: a raise in progress changes
    // PostgreSQL first, and Redis then follows (CouponAdmin.setLimit).
    const coupon = await this.ledger.couponRef(couponId);
    const limit = Number(await this.redis.hget(keys.meta, "limit"));
    if (coupon && limit > coupon.totalQuantity) await this.redis.setLimit(keys.meta, keys.issued, coupon.totalQuantity, coupon.tag, this.changes, couponId);
  }

  /** Adds these row holders to the admitted set (their rows have committed, or reconcile found them missing). */
  async addAdmitted(couponId: number, userIds: readonly string[]): Promise<void> {
    let added = 0;
    try {
      added = await this.addAll(couponKeys(couponId).issued, userIds);
    } finally {
      await this.announceAdded(couponId, added);
    }
  }

  /**
   * Members added by a plain SADD are announced afterwards: a process that
   * knows the coupon sold out also knows who holds its places, and must
   * learn of new holders. Until the notice it answers as Redis did before
   * the SADD. Best effort: past a failure, a process trusts what it knows
   * for no longer than its memory's time to live.
   */
  private async announceAdded(couponId: number, added: number): Promise<void> {
    if (added > 0) await this.redis.publish(this.changes, String(couponId)).catch(() => undefined);
  }

  /** Removes members reconcile found without a row, unless they are held or queued by now; returns how many. */
  async dropStrays(couponId: number, userIds: readonly string[]): Promise<number> {
    const keys = couponKeys(couponId);
    return userIds.length ? this.redis.dropStrays(keys.issued, keys.holds, keys.pending, this.changes, couponId, ...userIds) : 0;
  }

  /**
   * Loads the coupon from PostgreSQL: staged privately, then published by
   * loadCoupon-7.lua. An operator who changes the sale while we load finds
   * no keys to update (setSale-1.lua leaves absent keys alone) or updates
   * them before we publish (we then keep theirs, the newer version); so the
   * sale is read once more after publishing, and a newer one is written.
   */
  private async publish(couponId: number): Promise<{ published: boolean; tag: string }> {
    const keys = couponKeys(couponId);
    const staging = stagingKey(couponId);
    // Reading the next page overlaps with writing this one.
    let holders = 0;
    await forEachPage(this.ledger.issuedUserIds(couponId), (page) => {
      holders += page.length;
      return this.stage(staging, page);
    });
    const coupon = await this.ledger.couponRef(couponId);
    if (!coupon) {
      await this.redis.unlink(staging);
      throw couponNotFound(couponId);
    }
    const published = await this.redis.loadCoupon(
      keys.meta,
      keys.issued,
      staging,
      keys.pending,
      keys.holds,
      keys.queue,
      keys.workers,
      coupon.totalQuantity,
      coupon.tag,
      this.changes,
      couponId,
      ...saleArgs(saleOf(coupon)),
    );
    if (published === 1) this.options.onRebuilt?.(couponId, holders);
    const now = await this.ledger.couponRef(couponId);
    if (now && now.tag === coupon.tag && now.saleVersion !== coupon.saleVersion) await this.setSale(couponId, saleOf(now));
    return { published: published === 1, tag: coupon.tag };
  }

  /**
   * Adds a page of userIds to the staging set. Only the first chunk shares a
   * MULTI with the EXPIRE (so a loader that dies never leaves a staging set
   * without a TTL); the other chunks are separate commands, so other
   * clients' commands run between them instead of waiting for one EXEC of
   * the whole page. Auto-pipelining still sends them in one write.
   */
  private stage(staging: string, userIds: readonly string[]): Promise<unknown> {
    const first = this.redis.multi().sadd(staging, ...userIds.slice(0, STAGING_CHUNK)).expire(staging, STAGING_TTL_SECONDS).exec();
    return Promise.all([first, this.addAll(staging, userIds.slice(STAGING_CHUNK))]);
  }

  /** SADD in chunks, so other clients' commands run between them; resolves with how many were new. */
  private async addAll(key: string, userIds: readonly string[]): Promise<number> {
    const writes: Promise<number>[] = [];
    for (let i = 0; i < userIds.length; i += STAGING_CHUNK) writes.push(this.redis.sadd(key, ...userIds.slice(i, i + STAGING_CHUNK)));
    return (await Promise.all(writes)).reduce((a, b) => a + b, 0);
  }

  /** Copies the coupon's sale (state and window) to Redis, unless Redis holds nothing of it yet or as new a copy. */
  async setSale(couponId: number, sale: Sale): Promise<void> {
    await this.redis.setSale(couponKeys(couponId).meta, this.changes, couponId, ...saleArgs(sale));
  }

  /** Sets the limit in Redis; returns how many are admitted if that is above it. */
  async setLimit(coupon: StoredCoupon, limit: number): Promise<number | undefined> {
    const keys = couponKeys(coupon.id);
    const refused = await this.redis.setLimit(keys.meta, keys.issued, limit, coupon.tag, this.changes, coupon.id);
    return refused >= 0 ? refused : undefined;
  }

  /** The coupon's Redis counts, read in one MULTI so they agree with each other. */
  async snapshot(coupon: StoredCoupon): Promise<RedisCouponSnapshot> {
    const keys = couponKeys(coupon.id);
    const replies = (await this.redis.multi().hgetall(keys.meta).scard(keys.issued).hlen(keys.pending).zcard(keys.holds).exec())!;
    const [meta, admitted, queued, held] = replies.map(([err, value]) => {
      if (err) throw err;
      return value;
    }) as [Record<string, string>, number, number, number];
    return {
      loaded: meta.tag === coupon.tag,
      limit: meta.limit === undefined ? undefined : Number(meta.limit),
      admitted,
      saleVersion: meta.saleVersion === undefined ? undefined : Number(meta.saleVersion),
      queued,
      held,
    };
  }

  /** How many userIds the coupon's admitted set holds now. */
  admittedCount(couponId: number): Promise<number> {
    return this.redis.scard(couponKeys(couponId).issued);
  }

  /** All admitted userIds, a page at a time with SSCAN, so a large set does not block Redis. */
  async *admittedUserIds(couponId: number): AsyncGenerator<string[]> {
    let cursor = "0";
    do {
      const [next, batch] = await this.redis.sscan(couponKeys(couponId).issued, cursor, "COUNT", 5_000);
      if (batch.length) yield batch;
      cursor = next;
    } while (cursor !== "0");
  }

  /** Copies the ledger's holders into a private, expiring set, for comparisons made in Redis; returns its key. */
  async stageLedger(couponId: number): Promise<string> {
    const staging = stagingKey(couponId);
    await forEachPage(this.ledger.issuedUserIds(couponId), (page) => this.stage(staging, page));
    return staging;
  }

  /** Admitted members that `staging` lacks, a page at a time: SSCAN, then SMISMEMBER, both in Redis. */
  async *admittedNotIn(couponId: number, staging: string): AsyncGenerator<string[]> {
    for await (const members of this.admittedUserIds(couponId)) {
      const flags = await this.redis.smismember(staging, ...members);
      const absent = members.filter((_, i) => flags[i] === 0);
      if (absent.length) yield absent;
    }
  }

  async discard(key: string): Promise<void> {
    await this.redis.unlink(key);
  }

  /** For each userId, in order, whether the coupon's admitted set has it. */
  async admittedAmong(couponId: number, userIds: readonly string[]): Promise<boolean[]> {
    const tx = this.redis.pipeline();
    for (let i = 0; i < userIds.length; i += STAGING_CHUNK) tx.smismember(couponKeys(couponId).issued, ...userIds.slice(i, i + STAGING_CHUNK));
    const replies = (await tx.exec())!;
    return replies.flatMap(([err, flags]) => {
      if (err) throw err;
      return (flags as number[]).map((f) => f === 1);
    });
  }

  /** How many shoppers are queued or held (HLEN and ZCARD, so nothing large is read). */
  async waitingCount(couponId: number): Promise<number> {
    const keys = couponKeys(couponId);
    const [queued, held] = await Promise.all([this.redis.hlen(keys.pending), this.redis.zcard(keys.holds)]);
    return queued + held;
  }

  /** Queued and held shoppers: admitted, no row yet, and rightly so. */
  async waitingUserIds(couponId: number): Promise<Set<string>> {
    const keys = couponKeys(couponId);
    const [queued, held] = await Promise.all([this.redis.hkeys(keys.pending), this.redis.zrange(keys.holds, "0", "-1")]);
    return new Set([...queued, ...held]);
  }
}

const saleOf = (c: LedgerCoupon): Sale => ({ state: c.saleState, startsAt: c.startsAt, endsAt: c.endsAt, version: c.saleVersion });

/** A sale as setSale-1.lua and loadCoupon-7.lua take it. */
const saleArgs = (sale: Sale): SaleArgs => [
  sale.state,
  sale.startsAt ? String(sale.startsAt.getTime()) : "",
  sale.endsAt ? String(sale.endsAt.getTime()) : "",
  sale.version,
];
