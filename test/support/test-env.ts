import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { loadConfig, type Config } from "../../src/config";
import { migrate } from "../../src/db/migrate";
import { createLogger } from "../../src/logger";
import { startServer, type RunningServer } from "../../src/server";

const PG_BASE = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const ADMIN_TOKEN = "test-admin-token-0123456789";
export const SHOPPER_JWT_SECRET = "test-shopper-jwt-secret-0123456789abcdef";
/** Overrides that run an env's apps with verified shoppers: SHOPPER_AUTH=jwt, HS256 with SHOPPER_JWT_SECRET. */
export const JWT_MODE: Record<string, string> = { SHOPPER_AUTH: "jwt", SHOPPER_JWT_SECRET };
/** Both shopper modes, for suites that must hold in each (describe.each). */
export const SHOPPER_MODES: [mode: "none" | "jwt", overrides: Record<string, string>][] = [
  ["none", {}],
  ["jwt", JWT_MODE],
];

/**
 * A private world for one test file: its own database (created and
 * migrated here, dropped by `dispose`) and its own Redis key prefix.
 */
export interface TestEnv {
  readonly config: Config;
  readonly databaseName: string;
  /** Starts an app instance on a free port, sharing this env's database and Redis. */
  startApp(overrides?: Record<string, string>): Promise<TestApp>;
  /** Runs SQL against this env's database. */
  sql<T extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  dispose(): Promise<void>;
}

export interface TestApp {
  readonly url: string;
  readonly running: RunningServer;
  stop(): Promise<void>;
}

export async function createTestEnv(overrides: Record<string, string> = {}): Promise<TestEnv> {
  const databaseName = `coupons_test_${randomBytes(6).toString("hex")}`;
  const url = new URL(PG_BASE);
  url.pathname = `/${databaseName}`;
  const env = {
    DATABASE_URL: url.toString(),
    REDIS_URL,
    REDIS_KEY_PREFIX: `t${randomBytes(4).toString("hex")}:`,
    ADMIN_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    PORT: "0",
    ...overrides,
  };
  const config = loadConfig(env);
  await migrate(config.databaseUrl);
  const client = new Client({ connectionString: config.databaseUrl });
  // A test may drop the database under this connection (see stale-redis.test.ts).
  client.on("error", () => undefined);
  await client.connect();
  const apps = new Set<TestApp>();

  return {
    config,
    databaseName,
    async startApp(appOverrides = {}) {
      const appConfig = loadConfig({ ...env, ...appOverrides });
      const running = await startServer(appConfig, createLogger(appConfig.logLevel));
      const app: TestApp = {
        url: `http://127.0.0.1:${running.port}`,
        running,
        stop: async () => {
          apps.delete(app);
          await running.stop();
        },
      };
      apps.add(app);
      return app;
    },
    async sql(text, values) {
      return (await client.query(text, values)).rows;
    },
    async dispose() {
      await Promise.all([...apps].map((a) => a.stop()));
      await client.end().catch(() => undefined);
      const admin = new Client({ connectionString: PG_BASE });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
      await admin.end();
    },
  };
}
