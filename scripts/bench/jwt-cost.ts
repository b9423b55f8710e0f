/**
 * What verifying shoppers' tokens costs: the same sold-out crowd on the same
 * coupon, through the bench's service (SHOPPER_AUTH=none) and through a
 * second one on the same database and Redis started with SHOPPER_AUTH=jwt,
 * whose requests each carry a bearer token (HS256, with iss and aud
 * checked). Runs alternate without, with, without, and the token run is
 * held against the mean of the two around it, so drift within the run
 * cancels.
 */
import { randomBytes } from "node:crypto";
import { startService, type RunningService } from "../load/service";
import { drive } from "../load/drive";
import { Recorder } from "../load/recorder";
import { ShopperTokens } from "../support/shopper-tokens";
import { timedRun, WARM_UP_SECONDS, type RunFigures, type RunPlan } from "./http-runs";

export interface JwtCost {
  couponId: number;
  withoutJwt: RunFigures[];
  withJwt: RunFigures;
}

/** `plan` is a sold-out crowd on a sold-out coupon of the bench's service. */
export async function measureJwtCost(service: RunningService, plan: RunPlan, workers: number, logLevel: string): Promise<JwtCost> {
  const signing = { secret: randomBytes(32).toString("base64url"), issuer: "coupon-bench", audience: "coupon-api" };
  const jwtService = await startService(workers, 60_000, {
    env: {
      SHOPPER_AUTH: "jwt",
      SHOPPER_JWT_SECRET: signing.secret,
      SHOPPER_JWT_ISSUER: signing.issuer,
      SHOPPER_JWT_AUDIENCE: signing.audience,
      LOG_LEVEL: logLevel,
    },
  });
  try {
    const withTokens = { ...plan, url: jwtService.url, tokens: new ShopperTokens(signing) };
    // A fresh process: an untimed run first, as the references get (it also mints the tokens).
    await drive({ ...withTokens, durationSeconds: WARM_UP_SECONDS, seed: plan.seed + 1000, warmConnections: true }, new Recorder());
    const before = await timedRun({ ...plan, url: service.url });
    const withJwt = await timedRun(withTokens);
    const after = await timedRun({ ...plan, url: service.url });
    return { couponId: plan.couponId, withoutJwt: [before, after], withJwt };
  } finally {
    await jwtService.stop();
  }
}
