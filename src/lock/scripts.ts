import path from "node:path";
import type { Result } from "ioredis";
import { readLuaScripts } from "../redis/scripts";

/** The lock scripts in ./lua. */
export const lockScripts = readLuaScripts(path.join(__dirname, "lua"));

// Typed by declaration merging; the comment block of each .lua file is the contract.
declare module "ioredis" {
  interface RedisCommander<Context> {
    acquireLock(lock: string, fence: string, token: string, leaseMs: number): Result<string | number, Context>;
    lockReadFence(lock: string, fence: string, token: string, leaseMs: number): Result<string | number, Context>;
    raiseFence(lock: string, fence: string, token: string, fencingToken: string): Result<number, Context>;
    releaseLock(lock: string, token: string, channel: string): Result<number, Context>;
    extendLock(lock: string, token: string, leaseMs: number): Result<number, Context>;
  }
}
