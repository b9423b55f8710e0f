import type { RequestHandler } from "express";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { RateLimit } from "../config";
import { AppError } from "../errors";

/**
 * The abuse limits of POST /coupons/:id/issue (RATE_LIMIT_USER,
 * RATE_LIMIT_IP), counted in this process's memory by rate-limiter-flexible:
 * no Redis round trip on the hot path. So a limit holds per process: with
 * WORKERS=K, or K hosts behind a balancer, a client may get up to K times
 * it. Windows are fixed (they start at a key's first request), so a client
 * within the limit is never refused, and one at the edge of two windows may
 * pass up to twice the limit in a second.
 */
export class IssueLimits {
  private readonly perUser: RateLimiterMemory | undefined;
  /** Middleware (none when RATE_LIMIT_IP is off): the client address's budget, spent before anything else is read. */
  readonly byAddress: RequestHandler[];

  constructor(limits: { user: RateLimit | undefined; ip: RateLimit | undefined }) {
    this.perUser = limiter(limits.user);
    const perAddress = limiter(limits.ip);
    this.byAddress = perAddress ? [(req, _res, next) => spend(perAddress, req.ip ?? "unknown", "this address").then(() => next())] : [];
  }

  /** The user's budget, spent once the user is known (from the token, or the body). */
  async byUser(userId: string): Promise<void> {
    if (this.perUser) await spend(this.perUser, userId, "this user");
  }
}

const limiter = (limit: RateLimit | undefined) => limit && new RateLimiterMemory({ points: limit.points, duration: limit.seconds });

async function spend(limiter: RateLimiterMemory, key: string, who: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (refused) {
    if (!(refused instanceof RateLimiterRes)) throw refused;
    throw new AppError("RATE_LIMITED", `Too many requests from ${who}; try again after Retry-After seconds`, {
      retryAfterSeconds: Math.max(1, Math.ceil(refused.msBeforeNext / 1000)),
    });
  }
}
