import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Result } from "ioredis";
import type { Cluster, Redis } from "ioredis";

export interface LuaScript {
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
}

const FILE_NAME = /^([a-z][A-Za-z0-9]*)-(\d+)\.lua$/;

/**
 * Reads every `<camelName>-<numKeys>.lua` in a folder. Call once per folder
 * at module load; defineLuaCommands then makes each a client command, which
 * ioredis sends as EVALSHA, falling back to EVAL once after a Redis restart
 * or SCRIPT FLUSH, so scripts survive a Redis that lost everything.
 */
export function readLuaScripts(dir: string): readonly LuaScript[] {
  return readdirSync(dir).flatMap((file) => {
    const m = FILE_NAME.exec(file);
    return m ? [{ name: m[1]!, numberOfKeys: Number(m[2]), lua: readFileSync(path.join(dir, file), "utf8") }] : [];
  });
}

export function defineLuaCommands(client: Redis | Cluster, scripts: readonly LuaScript[]): void {
  for (const s of scripts) client.defineCommand(s.name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
}

/** The coupon scripts in ./lua. */
export const couponScripts = readLuaScripts(path.join(__dirname, "lua"));

// Typed by declaration merging; the comment block of each .lua file is the contract.
declare module "ioredis" {
  interface RedisCommander<Context> {
    issueRedisSet(meta: string, issued: string, holds: string, userId: string, tag: string, holdMs: number): Result<number, Context>;
    expiredHolds(holds: string, max: number): Result<string[], Context>;
    releaseHolds(issued: string, holds: string, changes: string, couponId: number, ...userIds: string[]): Result<number, Context>;
    holdPlaces(issued: string, holds: string, holdMs: number, countPlaces: 0 | 1, ...userIds: string[]): Result<number, Context>;
    checkAdmission(meta: string, issued: string, userId: string, tag: string): Result<number, Context>;
    checkAdmissions(meta: string, issued: string, tag: string, ...userIds: string[]): Result<0 | number[], Context>;
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
    couponEventsBeat(epoch: string, channel: string, beat: number, freshEpoch: string): Result<string, Context>;
  }
}
