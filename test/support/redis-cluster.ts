import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { reapOnExit, type Reaper } from "./orphan-reaper";
import { freePort } from "../../scripts/support/free-port";
import { startRedisServer, type RedisServer } from "../../scripts/support/redis-server";

const run = promisify(execFile);
const MASTERS = 3;
const READY_WITHIN_MS = 15_000;

export interface RedisCluster {
  /** The masters, as "127.0.0.1:port": what REDIS_CLUSTER_NODES takes. */
  readonly nodes: readonly string[];
  /** The master ("127.0.0.1:port") that serves the slot of `key`, by CLUSTER KEYSLOT and CLUSTER SLOTS. */
  masterOf(key: string): Promise<string>;
  /** Whether `node` itself stores `key` (asked directly, so a MOVED reply counts as no). */
  holds(node: string, key: string): Promise<boolean>;
  /** Kills every node and removes their directories; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * A real three-master Redis Cluster (no replicas) of throwaway redis-server
 * processes on free ports, resolved once every node reports cluster_state:ok.
 * On any failure here, everything started so far is stopped before throwing;
 * if this process dies without stop(), a reaper kills the nodes and removes
 * their directories.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const servers: RedisServer[] = [];
  const dirs: string[] = [];
  const reapers: Reaper[] = [];
  const stop = async () => {
    await Promise.all(reapers.map((r) => r.disarm()));
    await Promise.all(servers.map((s) => s.stop()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < MASTERS; i++) {
      dirs.push(mkdtempSync(path.join(tmpdir(), "redis-cluster-")));
      const node = await startClusterNode(dirs[i]!);
      servers.push(node);
      reapers.push(reapOnExit(await processId(node.port), [dirs[i]!]));
    }
    const nodes = servers.map((s) => `127.0.0.1:${s.port}`);
    await run("redis-cli", ["--cluster", "create", ...nodes, "--cluster-replicas", "0", "--cluster-yes"], { timeout: 30_000 });
    await untilClusterOk(servers.map((s) => s.port));
    return { nodes, masterOf: (key) => masterOf(servers[0]!.port, key), holds, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One cluster-enabled node keeping its node table in `dir`, its own tmp dir. */
async function startClusterNode(dir: string): Promise<RedisServer> {
  const port = await freePort();
  // The bus port is normally port + 10000, which may be taken or past 65535 for a high free port.
  let busPort = await freePort();
  while (busPort === port) busPort = await freePort();
  return startRedisServer(port, [
    "--cluster-enabled", "yes",
    "--cluster-config-file", path.join(dir, "nodes.conf"),
    "--cluster-node-timeout", "2000",
    "--cluster-port", String(busPort),
    "--dir", dir,
  ]);
}

/** Polls CLUSTER INFO on every node until all say ok and know each other, or gives up. */
async function untilClusterOk(ports: readonly number[]): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  let last = "";
  for (;;) {
    const infos = await Promise.all(ports.map((port) => onNode(port, (r) => r.cluster("INFO")).catch((e: Error) => e.message)));
    if (infos.every((info) => /cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${ports.length}\\b`).test(info))) return;
    last = infos.join("\n---\n");
    if (Date.now() > deadline) throw new Error(`Redis Cluster not ok within ${READY_WITHIN_MS} ms:\n${last}`);
    await sleep(100);
  }
}

async function masterOf(port: number, key: string): Promise<string> {
  return onNode(port, async (r) => {
    const slot = (await r.cluster("KEYSLOT", key)) as number;
    // Each entry: [first slot, last slot, [ip, port, id, ...] of the master, ...replicas].
    const range = (await r.cluster("SLOTS")).find(([first, last]) => first <= slot && slot <= last);
    const master = range?.[2];
    if (!master) throw new Error(`no master serves slot ${slot} of ${key}`);
    return `${master[0]}:${master[1]}`;
  });
}

/** The node's own pid (RedisServer does not expose it), for its reaper. */
async function processId(port: number): Promise<number> {
  const info = await onNode(port, (r) => r.info("server"));
  return Number(/process_id:(\d+)/.exec(info)![1]);
}

function holds(node: string, key: string): Promise<boolean> {
  return onNode(Number(node.split(":")[1]), (r) => r.exists(key)).then(
    (n) => n === 1,
    (err: Error) => (/^MOVED /.test(err.message) ? false : Promise.reject(err)),
  );
}

/** A short-lived plain (non-cluster) connection to one node. */
async function onNode<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  r.on("error", () => undefined);
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}
