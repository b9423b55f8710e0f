/**
 * Minting bearer tokens the service accepts, with its own HS256 secret:
 * `npm run token`, and the load script, bench and torture harness when the
 * service runs with SHOPPER_AUTH=jwt. Tests use it too.
 */
import { SignJWT } from "jose";
import { ConfigError, loadConfig, type Config } from "../../src/config";
import { ADMIN_SCOPE } from "../../src/http/auth";
import { UsageError } from "../load/args";

/** What a token is signed with, and the iss/aud the service checks. */
export interface Signing {
  readonly secret: string;
  readonly issuer?: string;
  readonly audience?: string;
}

export interface TokenClaims {
  readonly sub: string;
  readonly ttlSeconds: number;
  /** Adds the coupons:admin scope, for operator routes. */
  readonly admin?: boolean;
}

const encoder = new TextEncoder();

/** An HS256 JWT with sub, iat, exp, iss/aud when the service checks them, and scope for operators. */
export function mintToken(signing: Signing, claims: TokenClaims): Promise<string> {
  const jwt = new SignJWT(claims.admin ? { scope: ADMIN_SCOPE } : {})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds}s`);
  if (signing.issuer) jwt.setIssuer(signing.issuer);
  if (signing.audience) jwt.setAudience(signing.audience);
  return jwt.sign(encoder.encode(signing.secret));
}

/** The service's configuration as the environment gives it; a bad one is the script's usage error. */
function configOf(env: NodeJS.ProcessEnv): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    throw err instanceof ConfigError ? new UsageError(err.message) : err;
  }
}

/** The secret (and iss/aud) the service verifies with; only a shared secret lets us mint. */
export function signingFromEnv(env: NodeJS.ProcessEnv = process.env): Signing {
  const { jwt } = configOf(env);
  if (jwt?.key.kind !== "secret") {
    throw new UsageError("minting tokens needs SHOPPER_JWT_SECRET (tokens for a public key or JWKS come from your identity provider)");
  }
  return { secret: jwt.key.secret, issuer: jwt.issuer, audience: jwt.audience };
}

/**
 * Each user's token, minted once and kept: a crowd asks for the same users
 * again and again, and signing costs tens of microseconds.
 */
export class ShopperTokens {
  private readonly minted = new Map<string, string>();

  constructor(
    private readonly signing: Signing,
    // Longer than any run: a token must not expire mid-soak.
    private readonly ttlSeconds = 86_400,
  ) {}

  async headers(userId: string): Promise<Record<string, string>> {
    let token = this.minted.get(userId);
    if (token === undefined) {
      token = await mintToken(this.signing, { sub: userId, ttlSeconds: this.ttlSeconds });
      this.minted.set(userId, token);
    }
    return { authorization: `Bearer ${token}` };
  }

  /** Mints ahead, so that `headersNow` can answer synchronously (autocannon builds its requests synchronously). */
  async prepare(userIds: Iterable<string>): Promise<void> {
    for (const id of userIds) await this.headers(id);
  }

  headersNow(userId: string): Record<string, string> {
    const token = this.minted.get(userId);
    if (token === undefined) throw new Error(`no token minted for user ${userId}; prepare() first`);
    return { authorization: `Bearer ${token}` };
  }
}

/** Tokens for the service a script drives, or undefined when it runs with SHOPPER_AUTH=none. */
export function shopperTokensFromEnv(env: NodeJS.ProcessEnv = process.env): ShopperTokens | undefined {
  return configOf(env).shopperAuth === "jwt" ? new ShopperTokens(signingFromEnv(env)) : undefined;
}
