/**
 * npm run token -- --user ID [--ttl 1h] [--admin]
 *
 * Prints a bearer token signed with the service's SHOPPER_JWT_SECRET (and
 * carrying SHOPPER_JWT_ISSUER / SHOPPER_JWT_AUDIENCE when set), for curl and
 * local use: a shopper's (--user is their user id) or, with --admin, an
 * operator's (--user names the operator; scope coupons:admin).
 * Exit codes: 0 printed, 2 bad arguments or no secret.
 */
import { canonicalUserId } from "../src/http/validation";
import { runCli, strictArgs, UsageError } from "./load/args";
import { mintToken, signingFromEnv, type Signing, type TokenClaims } from "./support/shopper-tokens";

const USAGE = "usage: npm run token -- --user ID [--ttl 1h] [--admin]   (needs SHOPPER_JWT_SECRET)";
const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
const MAX_TTL_SECONDS = 30 * 86_400;

interface TokenOptions {
  readonly signing: Signing;
  readonly claims: TokenClaims;
}

function parse(argv: string[]): TokenOptions {
  const v = strictArgs(argv, { user: { type: "string" }, ttl: { type: "string" }, admin: { type: "boolean" } }, USAGE);
  if (v.user === undefined) throw new UsageError("--user is required");
  const admin = v.admin ?? false;
  // A shopper's sub is their user id; an operator's names them in the audit trail.
  const sub = admin ? v.user : canonicalUserId(v.user);
  if (sub === undefined) throw new UsageError(`--user must be a positive 64-bit integer; got "${v.user}"`);
  if (sub.length === 0 || sub.length > 200) throw new UsageError("--user must be 1 to 200 characters");
  return { signing: signingFromEnv(), claims: { sub, ttlSeconds: ttl(v.ttl ?? "1h"), admin } };
}

function ttl(raw: string): number {
  const m = /^(\d{1,7})([smhd])$/.exec(raw);
  const seconds = m ? Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS] : 0;
  if (seconds < 1 || seconds > MAX_TTL_SECONDS) throw new UsageError(`--ttl must look like 90s, 15m, 1h or 7d, at most 30d; got "${raw}"`);
  return seconds;
}

runCli("token", USAGE, parse, async ({ signing, claims }) => {
  console.log(await mintToken(signing, claims));
  return true;
});
