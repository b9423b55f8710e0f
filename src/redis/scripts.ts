import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
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
