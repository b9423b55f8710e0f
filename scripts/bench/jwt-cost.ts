/**
 * What verifying shoppers' tokens costs: the same sold-out crowd on the same
 * coupon, through the bench's service (SHOPPER_AUTH=none) and through a
 * second one on the same database and Redis started with SHOPPER_AUTH=jwt,
 * whose requests each carry a bearer token (HS256, with iss and aud
 * checked). Four runs, without, with, with, without: their means are
 * compared, so a machine that drifts steadily through them moves both
 * sides alike.
 */
import { randomBytes } from "node:crypto";
import { startService, type RunningService } from "../load/service";
import { drive } from "../load/drive";
import { Recorder } from "../load/recorder";
import { ShopperTokens } from "../support/shopper-tokens";
import { combinePasses, timedRun, WARM_UP_SECONDS, type ReferenceFigures, type RunPlan } from "./http-runs";

export interface JwtCost {
  /** Each the mean of its two runs, with the runs. */
  withoutJwt: ReferenceFigures;
  withJwt: ReferenceFigures;
}

/** `plan` is a sold-out crowd on a sold-out coupon of the bench's service; `env`, that service's settings. */
export async function measureJwtCost(service: RunningService, plan: RunPlan, workers: number, env: Record<string, string>): Promise<JwtCost> {
  const signing = { secret: randomBytes(32).toString("base64url"), issuer: "coupon-bench", audience: "coupon-api" };
  const jwtService = await startService(workers, 60_000, {
    env: {
      ...env,
      SHOPPER_AUTH: "jwt",
      SHOPPER_JWT_SECRET: signing.secret,
      SHOPPER_JWT_ISSUER: signing.issuer,
      SHOPPER_JWT_AUDIENCE: signing.audience,
    },
  });
  try {
    const withTokens = { ...plan, url: jwtService.url, tokens: new ShopperTokens(signing) };
    // A fresh process: an untimed run first, as the references get (it also mints the tokens).
    await drive({ ...withTokens, durationSeconds: WARM_UP_SECONDS, seed: plan.seed + 1000, warmConnections: true }, new Recorder());
    const first = await timedRun({ ...plan, url: service.url });
    const withJwt = [await timedRun(withTokens), await timedRun(withTokens)];
    const last = await timedRun({ ...plan, url: service.url });
    return { withoutJwt: combinePasses([first, last]), withJwt: combinePasses(withJwt) };
  } finally {
    await jwtService.stop();
  }
}
