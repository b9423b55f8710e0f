import type { Holding } from "../db/coupon-repository";
import type { CouponAdmin } from "../issuance/coupon-admin";
import type { IssuanceService } from "../issuance/issuance-service";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import type { SaleFeed } from "../monitor/sale-feed";
import type { IssueLimits } from "./rate-limit";
import type { TokenVerifier } from "./token-verifier";

/** Whether each backing store answers; /readyz reports it. */
export type Readiness = () => Promise<Record<string, boolean>>;

/** What the app and its routes are built from (src/services.ts makes it). */
export interface AppDeps {
  /** Accepted on operator routes; several, so one can be rotated without downtime. */
  readonly adminTokens: readonly string[];
  /** With SHOPPER_AUTH=jwt: verifies shoppers' tokens, and operators' JWTs. Undefined: shoppers name themselves. */
  readonly tokens: TokenVerifier | undefined;
  readonly limits: IssueLimits;
  /** A shopper's coupons, newest first (GET /me/coupons). */
  readonly holdings: (userId: string, limit: number, beforeId: bigint | undefined) => Promise<Holding[]>;
  readonly admin: CouponAdmin;
  readonly issuance: IssuanceService;
  readonly readiness: Readiness;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** The live dashboard's updates. */
  readonly saleFeed: SaleFeed;
  /** Express's `trust proxy` (TRUST_PROXY): req.secure, and req.ip (what RATE_LIMIT_IP counts), behind a proxy. */
  readonly trustProxy: boolean | number | string;
  /** How long a dashboard login lasts. */
  readonly dashboardSessionMs: number;
  /** Upper bound for `Prefer: wait=N`, in seconds. */
  readonly maxWaitSeconds?: number;
  /** Adds POST /bench/noop, the benchmark's measure of what our middleware costs. */
  readonly benchNoopRoute?: boolean;
}
