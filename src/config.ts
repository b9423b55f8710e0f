import { createPublicKey, randomBytes, type KeyObject } from "node:crypto";
import { isIP } from "node:net";
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

/** An optional setting where an empty value means unset, as a blank line in an env file does. */
const unlessEmpty = <T extends z.ZodType>(inner: T) => z.preprocess((v) => (v === "" ? undefined : v), inner.optional());

const isRedisUrl = (s: string) => /^rediss?:\/\/[^\s]+$/.test(s);

/** A request limit such as `5/s`: at most `points` requests per `seconds`. */
export interface RateLimit {
  readonly points: number;
  readonly seconds: number;
}
const PER = { s: 1, m: 60, h: 3600 } as const;
const rateLimit = z
  .string()
  .optional()
  .transform((raw, ctx): RateLimit | undefined => {
    if (raw === undefined || raw.trim() === "" || raw === "off") return undefined;
    const m = /^(\d{1,7})\/(s|m|h)$/.exec(raw.trim());
    if (!m || Number(m[1]) === 0) {
      ctx.addIssue({ code: "custom", message: `must look like 5/s, 100/m or 1000/h (or off); got "${raw}"` });
      return z.NEVER;
    }
    return { points: Number(m[1]), seconds: PER[m[2] as keyof typeof PER] };
  });

/**
 * Express's `trust proxy`: false, true, a hop count, or addresses/subnets
 * and the names loopback, linklocal, uniquelocal.
 */
const trustProxy = z
  .string()
  .optional()
  .transform((raw, ctx): boolean | number | string => {
    const v = raw?.trim() ?? "";
    if (v === "" || v === "false") return false;
    if (v === "true") return true;
    if (/^\d{1,2}$/.test(v)) return Number(v);
    for (const item of v.split(",").map((s) => s.trim())) {
      const [address, bits, ...rest] = item.split("/");
      const named = ["loopback", "linklocal", "uniquelocal"].includes(item);
      const cidr = isIP(address!) !== 0 && rest.length === 0 && (bits === undefined || /^\d{1,3}$/.test(bits));
      if (!named && !cidr) {
        ctx.addIssue({ code: "custom", message: `"${item}" is not true, false, a hop count, an address, a subnet or loopback/linklocal/uniquelocal` });
        return z.NEVER;
      }
    }
    return v;
  });

/** A PEM public key for RS256 (RSA) or ES256 (EC P-256); its algorithm follows from the key. */
const publicKeyPem = z
  .string()
  .optional()
  .transform((raw, ctx): { pem: string; algorithm: "RS256" | "ES256" } | undefined => {
    if (raw === undefined || raw.trim() === "") return undefined;
    // Environment files often carry PEM on one line with literal \n.
    const pem = raw.replace(/\\n/g, "\n");
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      ctx.addIssue({ code: "custom", message: "is not a PEM public key" });
      return z.NEVER;
    }
    // Re-exported as SPKI, the one PEM form jose imports (a PKCS#1 "RSA PUBLIC KEY" is accepted here too).
    const spki = key.export({ type: "spki", format: "pem" }) as string;
    if (key.asymmetricKeyType === "rsa" && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) return { pem: spki, algorithm: "RS256" };
    if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return { pem: spki, algorithm: "ES256" };
    ctx.addIssue({ code: "custom", message: "must be an RSA key of at least 2048 bits (RS256) or an EC P-256 key (ES256)" });
    return z.NEVER;
  });

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
  ADMIN_TOKEN: listOf((s) => s.length >= 16, "a token of at least 16 characters"),
  NODE_ENV: z.string().optional(),
  SHOPPER_AUTH: unlessEmpty(z.enum(["jwt", "none"])),
  SHOPPER_JWT_SECRET: unlessEmpty(z.string().min(32, "must be at least 32 characters (HS256 wants a 256-bit key)")),
  SHOPPER_JWT_PUBLIC_KEY: publicKeyPem,
  SHOPPER_JWKS_URL: unlessEmpty(z.url({ protocol: /^https?$/, error: "must be an http(s):// URL" })),
  SHOPPER_JWT_ISSUER: unlessEmpty(z.string()),
  SHOPPER_JWT_AUDIENCE: unlessEmpty(z.string()),
  RATE_LIMIT_USER: rateLimit,
  RATE_LIMIT_IP: rateLimit,
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
  TRUST_PROXY: trustProxy,
  DASHBOARD_SESSION_HOURS: z.coerce.number().min(0.01).max(24).default(8),
  DRIFT_CHECK_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
  DRIFT_CHECK_MAX_COUPONS: z.coerce.number().int().min(1).max(10_000).default(100),
});

type Env = z.infer<typeof schema>;

/** How a JWT is checked: exactly one key source, and the claims it must carry. */
export type JwtKeySource =
  | { readonly kind: "secret"; readonly secret: string }
  | { readonly kind: "public-key"; readonly pem: string; readonly algorithm: "RS256" | "ES256" }
  | { readonly kind: "jwks"; readonly url: string };

export interface JwtSettings {
  readonly key: JwtKeySource;
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
}

/** The cross-variable rules, each reported as a problem with one variable. */
function checkShopperAuth(e: Env): { variable: string; message: string } | undefined {
  if (e.SHOPPER_AUTH === undefined && e.NODE_ENV === "production") {
    return { variable: "SHOPPER_AUTH", message: "must be set (jwt or none) when NODE_ENV=production" };
  }
  const sources = [e.SHOPPER_JWT_SECRET, e.SHOPPER_JWT_PUBLIC_KEY, e.SHOPPER_JWKS_URL].filter((s) => s !== undefined).length;
  if (e.SHOPPER_AUTH === "jwt" && sources !== 1) {
    return { variable: "SHOPPER_AUTH", message: `jwt needs exactly one of SHOPPER_JWT_SECRET, SHOPPER_JWT_PUBLIC_KEY, SHOPPER_JWKS_URL (${sources} set)` };
  }
  return undefined;
}

function jwtSettings(e: Env): JwtSettings | undefined {
  const key: JwtKeySource | undefined = e.SHOPPER_JWT_SECRET
    ? { kind: "secret", secret: e.SHOPPER_JWT_SECRET }
    : e.SHOPPER_JWT_PUBLIC_KEY
      ? { kind: "public-key", ...e.SHOPPER_JWT_PUBLIC_KEY }
      : e.SHOPPER_JWKS_URL
        ? { kind: "jwks", url: e.SHOPPER_JWKS_URL }
        : undefined;
  return key && Object.freeze({ key: Object.freeze(key), issuer: e.SHOPPER_JWT_ISSUER, audience: e.SHOPPER_JWT_AUDIENCE });
}

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
  /** Every token accepted on operator routes (several, so one can be rotated without downtime). */
  readonly adminTokens: readonly string[];
  /** True when ADMIN_TOKEN was not set and a random one was made. */
  readonly adminTokenGenerated: boolean;
  /** NODE_ENV=production. */
  readonly production: boolean;
  /** jwt: a shopper is the verified token's subject; none: whoever the request body names (development, load tests). */
  readonly shopperAuth: "jwt" | "none";
  /** How tokens are verified (present whenever a key source is configured, so scripts can mint with the secret). */
  readonly jwt: JwtSettings | undefined;
  /** Per-process limits on POST /coupons/:id/issue, per user and per client address; undefined is off. */
  readonly rateLimitUser: RateLimit | undefined;
  readonly rateLimitIp: RateLimit | undefined;
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
   * dashboard's cookie is then Secure), its origin is the public one, and
   * req.ip (what RATE_LIMIT_IP counts) is the client's.
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
  const problem = checkShopperAuth(e);
  if (problem) throw new ConfigError(`Invalid configuration: ${problem.variable} ${problem.message}`);
  const adminTokens = e.ADMIN_TOKEN ?? [randomBytes(24).toString("base64url")];
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
    adminTokens: Object.freeze(adminTokens),
    adminTokenGenerated: e.ADMIN_TOKEN === undefined,
    production: e.NODE_ENV === "production",
    shopperAuth: e.SHOPPER_AUTH ?? "none",
    jwt: jwtSettings(e),
    rateLimitUser: e.RATE_LIMIT_USER,
    rateLimitIp: e.RATE_LIMIT_IP,
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
