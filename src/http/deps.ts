import type { CouponAdmin } from "../issuance/coupon-admin";
import type { IssuanceService } from "../issuance/issuance-service";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import type { SaleFeed } from "../monitor/sale-feed";

/** Whether each backing store answers; /readyz reports it. */
export type Readiness = () => Promise<Record<string, boolean>>;

/** What the app and its routes are built from (src/services.ts makes it). */
export interface AppDeps {
  readonly adminToken: string;
  readonly admin: CouponAdmin;
  readonly issuance: IssuanceService;
  readonly readiness: Readiness;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** The live dashboard's updates. */
  readonly saleFeed: SaleFeed;
  /** Express's `trust proxy` (TRUST_PROXY). */
  readonly trustProxy: boolean | number | string;
  /** How long a dashboard login lasts. */
  readonly dashboardSessionMs: number;
  /** Upper bound for `Prefer: wait=N`, in seconds. */
  readonly maxWaitSeconds?: number;
  /** Adds POST /bench/noop, the benchmark's measure of what our middleware costs. */
  readonly benchNoopRoute?: boolean;
}
