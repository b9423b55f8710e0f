import { rethrowAsUnavailable } from "../errors";

/** What every admission script answers when the coupon's keys are missing. */
export const NOT_LOADED = 0;
import type { Ledger } from "../db/ledger";
import type { RedisClient } from "../redis/client";
import { couponKeys, stagingKey } from "./coupon-keys";

const STAGING_TTL_SECONDS = 300;
const REPAIR_INTERVAL_MS = 1_000;
/** Longer than any write may stay in flight (the pool's statement timeout is 5 s). */
const ORPHAN_GRACE_MS = 6_000;

export interface RedisCouponSnapshot {
  readonly loaded: boolean;
  readonly limit: number | undefined;
  readonly admitted: number;
}

/**
 * The part of a coupon's state that lives in Redis (limit and admitted set),
 * and how it is rebuilt from PostgreSQL (SPEC I6). Shared by every strategy
 * that keeps admission state in Redis.
 */
export class RedisCouponState {
  private readonly loading = new Map<number, Promise<void>>();
  private readonly lastRepair = new Map<number, number>();
  private readonly audits = new Set<number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly ledger: Ledger,
    private readonly onRebuilt: (couponId: number) => void = () => undefined,
  ) {}

  /**
   * Runs an admission script; if it finds the coupon not loaded, loads it
   * from PostgreSQL and runs it once more. Redis failures become UNAVAILABLE.
   */
  async admit<T>(couponId: number, script: () => Promise<T>): Promise<T> {
    const attempt = async () => {
      let reply = await script();
      if (reply === NOT_LOADED) {
        await this.ensureLoaded(couponId);
        reply = await script();
        if (reply === NOT_LOADED) throw new Error("coupon keys vanished right after loading");
      }
      return reply;
    };
    return attempt().catch(rethrowAsUnavailable("Redis"));
  }

  /** Loads the coupon's keys from PostgreSQL unless someone already has. */
  ensureLoaded(couponId: number): Promise<void> {
    let p = this.loading.get(couponId);
    if (!p) {
      p = this.rebuild(couponId, false)
        .then(() => undefined)
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
    setTimeout(() => void this.rebuild(couponId, true).catch(() => undefined), REPAIR_INTERVAL_MS / 4).unref();
  }

  /**
   * Redis just said SOLD_OUT. If it counts more admitted shoppers than the
   * ledger has rows plus queue entries, and still does after any write in
   * flight must have finished, the difference are orphans: shoppers admitted
   * by a process that died before writing their row. Rebuilding from the
   * ledger frees their places, so a crash cannot end a sale short (SPEC I3).
   */
  auditSoldOut(couponId: number): void {
    if (this.audits.has(couponId)) return;
    this.audits.add(couponId);
    const gap = async () => {
      const [snapshot, pending, counts] = await Promise.all([
        this.snapshot(couponId),
        this.redis.hlen(couponKeys(couponId).pending),
        this.ledger.counts(couponId),
      ]);
      return counts ? snapshot.admitted - pending - counts.issuedCount : 0;
    };
    const audit = async () => {
      if ((await gap()) <= 0) return;
      await new Promise((r) => setTimeout(r, ORPHAN_GRACE_MS).unref());
      if ((await gap()) > 0) await this.rebuild(couponId, true);
    };
    void audit()
      .catch(() => undefined)
      .finally(() => setTimeout(() => this.audits.delete(couponId), ORPHAN_GRACE_MS).unref());
  }

  /**
   * Copies the issued userIds into a private staging set, then publishes it
   * atomically (loadCoupon-3.lua). With force, replaces a loaded state: that
   * is how reconcile repairs Redis from PostgreSQL.
   */
  rebuild(couponId: number, force: boolean): Promise<boolean> {
    return this.publish(couponId, force).catch(rethrowAsUnavailable("Redis"));
  }

  private async publish(couponId: number, force: boolean): Promise<boolean> {
    const keys = couponKeys(couponId);
    const staging = stagingKey(couponId);
    for await (const page of this.ledger.issuedUserIds(couponId)) {
      await this.redis.multi().sadd(staging, ...page).expire(staging, STAGING_TTL_SECONDS).exec();
    }
    const counts = await this.ledger.counts(couponId);
    if (!counts) {
      await this.redis.del(staging);
      return false;
    }
    const published = await this.redis.loadCoupon(
      keys.meta,
      keys.issued,
      staging,
      keys.pending,
      counts.totalQuantity,
      force ? 1 : 0,
    );
    if (published === 1) this.onRebuilt(couponId);
    return published === 1;
  }

  /** Sets the limit in Redis; returns how many are admitted if that is above it. */
  async setLimit(couponId: number, limit: number): Promise<number | undefined> {
    const keys = couponKeys(couponId);
    const refused = await this.redis.setLimit(keys.meta, keys.issued, limit);
    return refused >= 0 ? refused : undefined;
  }

  async snapshot(couponId: number): Promise<RedisCouponSnapshot> {
    const keys = couponKeys(couponId);
    const [[, meta], [, admitted]] = (await this.redis.multi().hgetall(keys.meta).scard(keys.issued).exec())! as [
      [unknown, Record<string, string>],
      [unknown, number],
    ];
    return {
      loaded: meta.ready === "1",
      limit: meta.limit === undefined ? undefined : Number(meta.limit),
      admitted,
    };
  }

  /** All admitted userIds, read with SSCAN so a large set does not block Redis. */
  async admittedUserIds(couponId: number): Promise<Set<string>> {
    const members = new Set<string>();
    let cursor = "0";
    do {
      const [next, batch] = await this.redis.sscan(couponKeys(couponId).issued, cursor, "COUNT", 5_000);
      for (const m of batch) members.add(m);
      cursor = next;
    } while (cursor !== "0");
    return members;
  }

  /** Queued shoppers: admitted, no row yet, and rightly so. */
  async pendingUserIds(couponId: number): Promise<Set<string>> {
    return new Set(await this.redis.hkeys(couponKeys(couponId).pending));
  }
}
