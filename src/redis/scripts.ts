import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Cluster, Redis } from "ioredis";

export interface LuaScript {
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
}

const FILE_NAME = /^([a-z][A-Za-z0-9]*)-(\d+)\.lua$/;
const INCLUDE = /^-- @include ([a-z][A-Za-z0-9]*)$/gm;

/**
 * Reads every `<camelName>-<numKeys>.lua` in a folder. Call once per folder
 * at module load; defineLuaCommands then makes each a client command, which
 * ioredis sends as EVALSHA, falling back to EVAL once after a Redis restart
 * or SCRIPT FLUSH, so scripts survive a Redis that lost everything.
 *
 * A line `-- @include <name>` is replaced by `includes/<name>.lua` of the
 * same folder: a Lua function several scripts share (Redis runs each script
 * alone, so shared code has to be part of every script that needs it). An
 * include may include another.
 */
export function readLuaScripts(dir: string): readonly LuaScript[] {
  const include = (_line: string, name: string): string =>
    readFileSync(path.join(dir, "includes", `${name}.lua`), "utf8").replace(INCLUDE, include);
  return readdirSync(dir).flatMap((file) => {
    const m = FILE_NAME.exec(file);
    if (!m) return [];
    const lua = readFileSync(path.join(dir, file), "utf8").replace(INCLUDE, include);
    return [{ name: m[1]!, numberOfKeys: Number(m[2]), lua }];
  });
}

export function defineLuaCommands(client: Redis | Cluster, scripts: readonly LuaScript[]): void {
  for (const s of scripts) client.defineCommand(s.name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
}
