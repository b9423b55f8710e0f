import { readFileSync } from "node:fs";
import path from "node:path";
import type { Result } from "ioredis";
import type { RedisConnection } from "./redis-connection";

/** Each lock script and its number of keys; the file is ./lua/<name>-<keys>.lua. */
const SCRIPTS = { acquireLock: 2, lockReadFence: 2, raiseFence: 2, releaseLock: 1, extendLock: 1 } as const;

const lua = Object.entries(SCRIPTS).map(([name, numberOfKeys]) => ({
  name,
  numberOfKeys,
  lua: readFileSync(path.join(__dirname, "lua", `${name}-${numberOfKeys}.lua`), "utf8"),
}));

/** Makes each lock script a client command (EVALSHA, falling back to EVAL after a SCRIPT FLUSH). */
export function defineLockCommands(client: RedisConnection): void {
  for (const s of lua) client.defineCommand(s.name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
}

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
