import { spawnSync } from "node:child_process";
import path from "node:path";
import { spawnApp } from "../support/child-app";
import { createTestEnv, type TestEnv } from "../support/test-env";

/**
 * How the built service starts in production: it refuses to guess who the
 * shopper is, and with SHOPPER_AUTH=none says once that it trusts the body.
 */
const MAIN = path.resolve(__dirname, "../../dist/src/main.js");
const WARNING = "SHOPPER_AUTH=none in production";

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env?.dispose());

it("refuses to start with NODE_ENV=production unless SHOPPER_AUTH is set", () => {
  const run = spawnSync(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, NODE_ENV: "production", DATABASE_URL: env.config.databaseUrl, PORT: "0" },
    encoding: "utf8",
    timeout: 15_000,
  });
  expect(run.status).toBe(1);
  expect(run.stderr.trim()).toBe("Invalid configuration: SHOPPER_AUTH must be set (jwt or none) when NODE_ENV=production");
});

it.each([1, 2])("with SHOPPER_AUTH=none in production and WORKERS=%i, logs exactly one warning line", async (workers) => {
  const app = await spawnApp(env, { NODE_ENV: "production", SHOPPER_AUTH: "none", WORKERS: String(workers) });
  try {
    const warnings = app.output().split("\n").filter((line) => line.includes(WARNING));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40 });
  } finally {
    app.kill("SIGTERM");
    await app.exited();
  }
});

it("logs no such warning with SHOPPER_AUTH=jwt", async () => {
  const app = await spawnApp(env, { NODE_ENV: "production", SHOPPER_AUTH: "jwt", SHOPPER_JWT_SECRET: "p".repeat(32) });
  try {
    expect(app.output()).not.toContain(WARNING);
  } finally {
    app.kill("SIGTERM");
    await app.exited();
  }
});
