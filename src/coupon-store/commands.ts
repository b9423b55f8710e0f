import path from "node:path";
import type { Result } from "ioredis";
import type { RedisClient } from "../redis/client";
import { defineLuaCommands, readLuaScripts } from "../redis/scripts";

const couponScripts = readLuaScripts(path.join(__dirname, "lua"));

/** Makes every coupon script in ./lua a command of `client`. */
export const defineCouponCommands = (client: RedisClient): void => defineLuaCommands(client, couponScripts);

/** A coupon's sale as the scripts take it: state, startsAt and endsAt in ms ('' for none), saleVersion. */
export type SaleArgs = [state: string, startsAtMs: string, endsAtMs: string, version: number];

// Typed by declaration merging; the comment block of each .lua file is the contract.
declare module "ioredis" {
  interface RedisCommander<Context> {
    issueRedisSet(meta: string, issued: string, holds: string, userId: string, tag: string, holdMs: number): Result<number, Context>;
    expiredHolds(holds: string, max: number): Result<string[], Context>;
    releaseHolds(issued: string, holds: string, changes: string, couponId: number, ...userIds: string[]): Result<number, Context>;
    holdPlaces(issued: string, holds: string, holdMs: number, countPlaces: 0 | 1, ...userIds: string[]): Result<number, Context>;
    checkAdmission(meta: string, issued: string, userId: string, tag: string): Result<number, Context>;
    checkAdmissions(meta: string, issued: string, tag: string, ...userIds: string[]): Result<number | number[], Context>;
    loadCoupon(
      meta: string,
      issued: string,
      staging: string,
      pending: string,
      holds: string,
      queue: string,
      workers: string,
      limit: number,
      tag: string,
      changes: string,
      couponId: number,
      ...sale: SaleArgs
    ): Result<number, Context>;
    dropStrays(issued: string, holds: string, pending: string, changes: string, couponId: number, ...userIds: string[]): Result<number, Context>;
    admitToQueue(meta: string, issued: string, pending: string, queue: string, userId: string, nowMs: number, tag: string): Result<number, Context>;
    claimBatch(queue: string, processing: string, workers: string, meta: string, max: number, workerId: string, nowMs: number, tag: string): Result<string[], Context>;
    finishBatch(
      processing: string,
      pending: string,
      issued: string,
      dead: string,
      workers: string,
      workerId: string,
      channel: string,
      message: string,
      changes: string,
      couponId: number,
      ...deadThenRejected: (string | number)[]
    ): Result<number, Context>;
    requeueStale(workers: string, processing: string, queue: string, workerId: string, lastSeen: string): Result<number, Context>;
    setLimit(meta: string, issued: string, limit: number, tag: string, changes: string, couponId: number): Result<number, Context>;
    setSale(meta: string, changes: string, couponId: number, ...sale: SaleArgs): Result<number, Context>;
    couponEventsBeat(epoch: string, channel: string, beat: number, freshEpoch: string): Result<string, Context>;
  }
}
