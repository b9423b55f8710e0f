import { spawnSync } from "node:child_process";
import path from "node:path";
import { jwtVerify } from "jose";

/** npm run token: a token the service accepts, from the service's own settings. */
const SCRIPT = path.resolve(__dirname, "../../dist/scripts/token.js");
const SECRET = "token-script-test-secret-0123456789";

const run = (args: string[], env: Record<string, string> = { SHOPPER_JWT_SECRET: SECRET }) =>
  spawnSync(process.execPath, [SCRIPT, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: "utf8", timeout: 15_000 });

const verify = (token: string) => jwtVerify(token, new TextEncoder().encode(SECRET), { algorithms: ["HS256"] });

it("mints a shopper's token: sub, exp after --ttl, iss and aud when configured, no scope", async () => {
  const out = run(["--user", "0042", "--ttl", "2m"], { SHOPPER_JWT_SECRET: SECRET, SHOPPER_JWT_ISSUER: "https://id", SHOPPER_JWT_AUDIENCE: "api" });
  expect(out.status).toBe(0);
  const { payload } = await verify(out.stdout.trim());
  expect(payload).toMatchObject({ sub: "42", iss: "https://id", aud: "api" });
  expect(payload.exp! - payload.iat!).toBe(120);
  expect(payload.scope).toBeUndefined();
});

it("mints an operator's token with --admin", async () => {
  const out = run(["--user", "ops-alice", "--admin"]);
  expect(out.status).toBe(0);
  const { payload } = await verify(out.stdout.trim());
  expect(payload).toMatchObject({ sub: "ops-alice", scope: "coupons:admin" });
  expect(payload.exp! - payload.iat!).toBe(3600);
});

it.each([
  [["--user", "42"], {}, /needs SHOPPER_JWT_SECRET/],
  [[], { SHOPPER_JWT_SECRET: SECRET }, /--user is required/],
  [["--user", "alice"], { SHOPPER_JWT_SECRET: SECRET }, /--user must be a positive 64-bit integer/],
  [["--user", "42", "--ttl", "forever"], { SHOPPER_JWT_SECRET: SECRET }, /--ttl must look like/],
  [["--user", "42", "--ttl", "31d"], { SHOPPER_JWT_SECRET: SECRET }, /--ttl must look like/],
  [["--user", "42"], { SHOPPER_JWT_SECRET: "short" }, /SHOPPER_JWT_SECRET must be at least 32 characters/],
])("exits 2 with one line: %p", (args, env, message) => {
  const out = run(args, env);
  expect(out.status).toBe(2);
  expect(out.stderr).toMatch(message);
  expect(out.stdout).toBe("");
});
