/**
 * The issuance strategies a coupon can be served by, chosen when it is
 * created; the one list that validation, the OpenAPI document, the
 * repository and the scripts all read.
 */
export const STRATEGIES = ["redis-set", "queue", "lock", "postgres"] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** What a coupon created without a strategy is served by. */
export const DEFAULT_STRATEGY: StrategyName = "redis-set";

export const isStrategyName = (name: string): name is StrategyName => (STRATEGIES as readonly string[]).includes(name);
