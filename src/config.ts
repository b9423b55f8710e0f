import { randomBytes } from "node:crypto";
import { z } from "zod";

const hostPort = /^[^\s:,]+:\d{1,5}$/;

const listOf = (itemCheck: (s: string) => boolean, what: string) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === "") return undefined;
      const items = raw.split(",").map((s) => s.trim());
      for (const item of items) {
        if (!itemCheck(item)) {
          ctx.addIssue({ code: "custom", message: `"${item}" is not ${what}` });
          return z.NEVER;
        }
      }
      return items;
    });

const isRedisUrl = (s: string) => /^rediss?:\/\/[^\s]+$/.test(s);

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, "must be a postgresql:// URL")
    .default("postgresql://postgres@127.0.0.1:5432/coupons"),
  REDIS_URL: z.string().refine(isRedisUrl, "must be a redis:// URL").default("redis://127.0.0.1:6379"),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[\w.:-]{0,64}$/, "may hold only letters, digits and _ . : - (at most 64)")
    .default(""),
  REDIS_CLUSTER_NODES: listOf((s) => hostPort.test(s), "host:port"),
  REDLOCK_NODES: listOf(isRedisUrl, "a redis:// URL"),
  REDIS_FALLBACK: z.enum(["none", "postgres"]).default("none"),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  HOLD_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(3_000),
  ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  EXPORT_CONNECTIONS: z.coerce.number().int().min(1).max(50).default(2),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  QUEUE_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  QUEUE_VISIBILITY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  LOCK_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(3_000),
  LOCK_LEASE_MS: z.coerce.number().int().min(10).max(600_000).default(2_000),
  TEST_LOCK_FAULT_PAUSE_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  TEST_BENCH_NOOP_ROUTE: z.enum(["true", "false"]).default("false"),
  COUPON_EVENTS_STALE_MS: z.coerce.number().int().min(20).max(60_000).default(1_000),
  SOLD_OUT_MEMORY_TTL_MS: z.coerce.number().int().min(0).max(600_000).default(2_000),
  REDIS_EVENTS_URL: z.string().refine(isRedisUrl, "must be a redis:// URL").optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d{1,2}|[\w.:/]+(\s*,\s*[\w.:/]+)*)$/, "must be true, false, a hop count or a list of proxy addresses")
    .default("false")
    .transform((v): boolean | number | string => (v === "true" ? true : v === "false" ? false : /^\d+$/.test(v) ? Number(v) : v)),
  DASHBOARD_SESSION_HOURS: z.coerce.number().min(0.01).max(24).default(8),
  DRIFT_CHECK_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
  DRIFT_CHECK_MAX_COUPONS: z.coerce.number().int().min(1).max(10_000).default(100),
});

type Env = z.infer<typeof schema>;

export interface Config {
  readonly port: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** Prepended to every key, so several deployments (or test files) can share one Redis. */
  readonly redisKeyPrefix: string;
  readonly redisClusterNodes: readonly string[] | undefined;
  readonly redlockNodes: readonly string[] | undefined;
  readonly redisFallback: "none" | "postgres";
  /** A Redis command unanswered this long ends its request: 503 if it changed nothing, else 202 PENDING. */
  readonly redisCommandTimeoutMs: number;
  /** A redis-set admission whose row its caller has not confirmed this long is settled by a sweeper. */
  readonly holdTimeoutMs: number;
  readonly adminToken: string;
  /** True when ADMIN_TOKEN was not set and a random one was made. */
  readonly adminTokenGenerated: boolean;
  readonly workers: number;
  readonly dbPoolSize: number;
  /** PostgreSQL connections for CSV exports of winners, apart from the pool that serves shoppers. */
  readonly exportConnections: number;
  readonly logLevel: Env["LOG_LEVEL"];
  readonly shutdownTimeoutMs: number;
  /** How long a lock-strategy request waits for the coupon's lock before 503 BUSY. */
  readonly lockWaitMs: number;
  /** The lock's lease; a watchdog extends it while the holder works. */
  readonly lockLeaseMs: number;
  /** Fault injection for tests only (TEST_LOCK_FAULT_PAUSE_MS): a pause inside the lock's critical section. */
  readonly lockFaultPauseMs: number;
  /** For the benchmark only (TEST_BENCH_NOOP_ROUTE): POST /bench/noop, the issue route's middleware and validation, no Redis or PostgreSQL. */
  readonly benchNoopRoute: boolean;
  /** Queue entries persisted per transaction. */
  readonly queueBatchSize: number;
  /**
   * The longest a process may go without proof that its change-notice
   * channel delivers; past it, whatever it learned from notices is not trusted.
   */
  readonly couponEventsStaleMs: number;
  /** How long a process answers SOLD_OUT from memory before confirming with Redis; 0 turns the memory off. */
  readonly soldOutMemoryTtlMs: number;
  /** Where change notices are listened for, if not REDIS_URL (e.g. a replica of it). */
  readonly redisEventsUrl: string | undefined;
  /** A queue worker silent this long loses its batch to the other workers. */
  readonly queueVisibilityTimeoutMs: number;
  /**
   * Express's `trust proxy`: which hops' X-Forwarded-* headers to believe, so
   * that behind a TLS-terminating proxy the request counts as secure (the
   * dashboard's cookie is then Secure) and its origin is the public one.
   */
  readonly trustProxy: boolean | number | string;
  /** How long a dashboard login lasts. */
  readonly dashboardSessionMs: number;
  /** Pause between two passes of the Redis–PostgreSQL drift check. */
  readonly driftCheckIntervalMs: number;
  /** Live coupons the drift check measures per pass, newest first. */
  readonly driftCheckMaxCoupons: number;
}

export class ConfigError extends Error {}

/** Validates the environment once; throws ConfigError with one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid configuration: ${String(issue.path[0])} ${issue.message}`);
  }
  const e = parsed.data;
  refuseTestKnobsInProduction(env);
  return Object.freeze({
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    redisClusterNodes: e.REDIS_CLUSTER_NODES && Object.freeze(e.REDIS_CLUSTER_NODES),
    redlockNodes: e.REDLOCK_NODES && Object.freeze(e.REDLOCK_NODES),
    redisFallback: e.REDIS_FALLBACK,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    holdTimeoutMs: e.HOLD_TIMEOUT_MS,
    adminToken: e.ADMIN_TOKEN ?? randomBytes(24).toString("base64url"),
    adminTokenGenerated: e.ADMIN_TOKEN === undefined,
    workers: e.WORKERS,
    dbPoolSize: e.DB_POOL_SIZE,
    exportConnections: e.EXPORT_CONNECTIONS,
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    benchNoopRoute: e.TEST_BENCH_NOOP_ROUTE === "true",
    lockWaitMs: e.LOCK_WAIT_MS,
    lockLeaseMs: e.LOCK_LEASE_MS,
    lockFaultPauseMs: e.TEST_LOCK_FAULT_PAUSE_MS,
    queueBatchSize: e.QUEUE_BATCH_SIZE,
    couponEventsStaleMs: e.COUPON_EVENTS_STALE_MS,
    soldOutMemoryTtlMs: e.SOLD_OUT_MEMORY_TTL_MS,
    redisEventsUrl: e.REDIS_EVENTS_URL,
    queueVisibilityTimeoutMs: e.QUEUE_VISIBILITY_TIMEOUT_MS,
    trustProxy: e.TRUST_PROXY,
    dashboardSessionMs: Math.round(e.DASHBOARD_SESSION_HOURS * 3_600_000),
    driftCheckIntervalMs: e.DRIFT_CHECK_INTERVAL_MS,
    driftCheckMaxCoupons: e.DRIFT_CHECK_MAX_COUPONS,
  });
}

/** Knobs named TEST_* exist for tests and benchmarks; a production process must not run with any of them. */
function refuseTestKnobsInProduction(env: NodeJS.ProcessEnv): void {
  if (env.NODE_ENV !== "production") return;
  const knob = Object.keys(env).find((name) => name.startsWith("TEST_") && name in schema.shape);
  if (knob) throw new ConfigError(`Invalid configuration: ${knob} is for tests only and is refused when NODE_ENV=production`);
}
