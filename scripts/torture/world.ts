import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { Redis } from "ioredis";
import { reapOnExit } from "../support/orphan-reaper";
import { freePort } from "../support/free-port";
import { startRedisServer, type RedisServer } from "../support/redis-server";
import type { ShopperTokens } from "../support/shopper-tokens";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";
import { ApiProcess } from "./api-process";

/** The PostgreSQL server to make the throwaway database on (its `postgres` database is only used to create and drop). */
const PG_ADMIN_URL = process.env.TORTURE_PG_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
export const TORTURE_ADMIN_TOKEN = "torture-harness-admin-token";
/** A silent queue worker loses its batch after this; short, so a killed worker's batch comes back within a fault gap. */
const QUEUE_VISIBILITY_TIMEOUT_MS = "2000";

/**
 * Everything a torture run stands on, started fresh and owned by it: a
 * database of its own, a redis-server of its own (never the shared one: it
 * gets SIGSTOPped and flushed), a TCP proxy in front of each so the
 * connections can be cut or slowed, and K API processes talking to both
 * through the proxies.
 */
export interface World {
  readonly databaseName: string;
  /** Straight to PostgreSQL, bypassing the proxy: the harness reads the ledger here. */
  readonly databaseUrl: string;
  readonly redis: RedisServer;
  readonly redisProxy: TcpProxy;
  readonly pgProxy: TcpProxy;
  readonly processes: readonly ApiProcess[];
  readonly adminToken: string;
  /** With SHOPPER_AUTH=jwt: the shoppers' tokens the API processes accept. */
  readonly tokens: ShopperTokens | undefined;
  /** FLUSHALL, sent straight to the redis-server (a proxied command could be the one that is cut). */
  flushRedis(): Promise<void>;
  /** Stops everything started, newest first, and drops the database; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * `onStop` is handed the stop function before anything starts, so a Ctrl-C
 * during the start (which can take seconds) still stops what exists so far.
 */
export async function startWorld(
  processCount: number,
  tokens: ShopperTokens | undefined,
  onStop: (stop: () => Promise<void>) => void = () => undefined,
): Promise<World> {
  const undo: (() => Promise<unknown>)[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      for (const step of undo.reverse()) await step().catch((err) => console.error(`torture: cleanup: ${(err as Error).message}`));
    })());
  onStop(stop);
  try {
    const databaseName = `coupons_torture_${randomBytes(5).toString("hex")}`;
    const databaseUrl = withDatabase(PG_ADMIN_URL, databaseName);
    // Registered before anything exists: the first API process creates it, and a failed start must not leave it behind.
    undo.push(() => dropDatabase(databaseName));

    const redis = await startRedisServer();
    const redisReaper = reapOnExit(redis.pid);
    undo.push(async () => {
      redis.kill("SIGCONT"); // harmless if it runs; a stopped one would otherwise only die to SIGKILL anyway
      await redis.stop();
      await redisReaper.disarm();
    });
    const admin = new Redis({ port: redis.port, host: "127.0.0.1", maxRetriesPerRequest: 1, connectTimeout: 2_000 });
    admin.on("error", () => undefined);
    undo.push(async () => admin.disconnect());

    const pgTarget = new URL(PG_ADMIN_URL);
    const redisProxy = await startTcpProxy(redis.port);
    undo.push(() => redisProxy.close());
    const pgProxy = await startTcpProxy(Number(pgTarget.port || 5432), pgTarget.hostname);
    undo.push(() => pgProxy.close());

    const proxiedDb = new URL(databaseUrl);
    proxiedDb.host = `127.0.0.1:${pgProxy.port}`;
    const env = {
      DATABASE_URL: proxiedDb.toString(),
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
      ADMIN_TOKEN: TORTURE_ADMIN_TOKEN,
      LOG_LEVEL: "warn",
      QUEUE_VISIBILITY_TIMEOUT_MS,
      // The processes get only what is listed here: the shopper settings the harness mints with go along.
      ...shopperSettings(),
    };
    const processes: ApiProcess[] = [];
    for (let i = 0; i < processCount; i++) processes.push(new ApiProcess(i, await freePort(), env));
    undo.push(() => Promise.all(processes.map((p) => p.stop())));
    // The first creates and migrates the database; the rest then start together.
    await processes[0]!.start();
    await Promise.all(processes.slice(1).map((p) => p.start()));

    return {
      databaseName,
      databaseUrl,
      redis,
      redisProxy,
      pgProxy,
      processes,
      adminToken: TORTURE_ADMIN_TOKEN,
      tokens,
      flushRedis: async () => void (await admin.flushall()),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** SHOPPER_AUTH and the SHOPPER_JWT_* / SHOPPER_JWKS_URL settings of the harness's own environment. */
function shopperSettings(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => /^SHOPPER_/.test(e[0]) && e[1] !== undefined));
}

function withDatabase(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(name: string): Promise<void> {
  const admin = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
