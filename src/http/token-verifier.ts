import { createRemoteJWKSet, importSPKI, jwtVerify, type JWTPayload } from "jose";
import { LRUCache } from "lru-cache";
import type { JwtSettings } from "../config";
import { AppError } from "../errors";

/**
 * Tokens longer than this are refused unread. Real ones are well under a
 * kilobyte; verifying costs per byte, and a header this size is an attack.
 */
export const MAX_TOKEN_BYTES = 8 * 1024;
/** Leeway for `exp` and `nbf`: the identity provider's clock and ours disagree a little. */
export const CLOCK_SKEW_SECONDS = 30;

/**
 * Verified tokens remembered per process, at most. A sold-out crowd is
 * shoppers pressing "try again" with the token they already sent, and a
 * remembered one costs a map lookup instead of a signature check (Envoy's
 * jwt_authn keeps such a cache for the same reason). About 1 KB each.
 */
export const VERIFIED_TOKENS_KEPT = 20_000;

/** A verified token's claims. */
export type TokenClaims = JWTPayload;

export interface TokenVerifier {
  /** The claims of a token whose signature, algorithm, exp/nbf, iss/aud and sub check out; else a 401 (or 503) AppError. */
  verify(token: string): Promise<TokenClaims>;
}

/** How a JWKS is fetched; the defaults suit production, tests shorten the cooldown. */
export interface JwksOptions {
  /** A fetch that takes longer fails the request with 503. */
  timeoutMs?: number;
  /** An unknown `kid` refetches the set (key rotation), at most once per cooldown. */
  cooldownMs?: number;
  /** Keys are refetched at least this often. */
  maxAgeMs?: number;
}

/**
 * Verifies with jose, against exactly one key source, accepting only the
 * algorithms that source can sign with: HS256 for a shared secret, the
 * public key's own algorithm, RS256/ES256 for a JWKS. So `alg: none` and
 * algorithm confusion (an HS256 token "signed" with the public key) fail.
 * Every token must carry `exp` and `sub`.
 *
 * A token that verified is remembered, by its exact text, until it expires:
 * the same bytes against the same keys always verify the same way, and only
 * the clock changes the answer. Nothing that failed is remembered.
 */
export function createTokenVerifier(settings: JwtSettings, jwks: JwksOptions = {}): TokenVerifier {
  const { key, algorithms } = keyOf(settings, jwks);
  const options = {
    algorithms,
    issuer: settings.issuer,
    audience: settings.audience,
    clockTolerance: CLOCK_SKEW_SECONDS,
    requiredClaims: ["exp", "sub"],
  };
  const remote = settings.key.kind === "jwks";
  const verified = new LRUCache<string, TokenClaims>({ max: VERIFIED_TOKENS_KEPT });
  return {
    async verify(token) {
      const known = verified.get(token);
      if (known) return known;
      try {
        const { payload } = await jwtVerify(token, await key(), options);
        const ttl = acceptedForMs(payload.exp!, Date.now());
        if (ttl > 0) verified.set(token, payload, { ttl });
        return payload;
      } catch (err) {
        throw tokenError(err, remote);
      }
    },
  };
}

/** How much longer a token expiring at `exp` (seconds) is accepted, given the clock leeway jose applies. */
export function acceptedForMs(exp: number, nowMs: number): number {
  return (exp + CLOCK_SKEW_SECONDS) * 1000 - nowMs;
}

type KeyResolver = () => Promise<Parameters<typeof jwtVerify>[1]>;

function keyOf(settings: JwtSettings, jwks: JwksOptions): { key: KeyResolver; algorithms: string[] } {
  const source = settings.key;
  switch (source.kind) {
    case "secret": {
      // Imported once: jose would import a raw secret again on every verification.
      const imported = crypto.subtle.importKey("raw", new TextEncoder().encode(source.secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
      return { key: () => imported, algorithms: ["HS256"] };
    }
    case "public-key": {
      const imported = importSPKI(source.pem, source.algorithm);
      return { key: () => imported, algorithms: [source.algorithm] };
    }
    case "jwks": {
      const set = createRemoteJWKSet(new URL(source.url), {
        timeoutDuration: jwks.timeoutMs ?? 3_000,
        cooldownDuration: jwks.cooldownMs ?? 30_000,
        cacheMaxAge: jwks.maxAgeMs ?? 10 * 60_000,
      });
      return { key: async () => set, algorithms: ["RS256", "ES256"] };
    }
  }
}

/** jose error codes that mean "this token is not good", as opposed to "the keys could not be had". */
const INVALID = new Set([
  "ERR_JWS_INVALID",
  "ERR_JWT_INVALID",
  "ERR_JOSE_ALG_NOT_ALLOWED",
  "ERR_JOSE_NOT_SUPPORTED",
  "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
  "ERR_JWKS_NO_MATCHING_KEY",
  "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
]);

/**
 * A token's fault is a 401 with a stable code. A JWKS that cannot be
 * fetched or read is ours (or the provider's): 503, the shopper may retry,
 * and is not told their token is bad.
 */
function tokenError(err: unknown, remote: boolean): AppError {
  const code = (err as { code?: unknown })?.code;
  if (code === "ERR_JWT_EXPIRED") return new AppError("TOKEN_EXPIRED", "The bearer token has expired");
  if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED") {
    const claim = (err as { claim?: string }).claim;
    if (claim === "nbf") return new AppError("TOKEN_NOT_YET_VALID", "The bearer token is not valid yet (nbf)");
    if (claim === "sub") return new AppError("TOKEN_SUBJECT_INVALID", "The bearer token names no subject (sub)");
    return new AppError("TOKEN_CLAIM_INVALID", `The bearer token's "${claim}" claim is missing or not accepted here`);
  }
  if (typeof code === "string" && INVALID.has(code)) return new AppError("TOKEN_INVALID", "The bearer token is not a valid token for this service");
  if (remote) {
    return new AppError("UNAVAILABLE", "The identity provider's keys could not be fetched; try again shortly", { retryAfterSeconds: 1, cause: err });
  }
  // Anything else is ours (a key jose cannot use): a bug, answered 500 and logged.
  throw err;
}

/**
 * The token of an `Authorization: Bearer <token>` header. Absent, another
 * scheme, or no token: TOKEN_MISSING; over MAX_TOKEN_BYTES: TOKEN_TOO_LARGE.
 */
export function bearerToken(header: string | undefined): string {
  const m = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
  if (!m) throw new AppError("TOKEN_MISSING", "Send Authorization: Bearer <token>");
  if (m[1]!.length > MAX_TOKEN_BYTES) throw new AppError("TOKEN_TOO_LARGE", `The bearer token is over ${MAX_TOKEN_BYTES} bytes`);
  return m[1]!;
}
