import { below } from "./seeded";

/** Share of crowd requests that bring a shopper not seen before (until the whole pool has come). */
const NEWCOMER_SHARE = 0.1;

/**
 * The crowd's userIds, 1..poolSize. Shoppers arrive gradually: each request
 * is a newcomer with probability NEWCOMER_SHARE, otherwise a repeat of a
 * shopper already seen, drawn uniformly. So repeats race with first
 * requests all along, and the sale takes about 10 × N requests to sell out
 * instead of being over in the first seconds: faults hit it while places
 * are still being given away, not only once it is sold out. The sequence
 * depends only on the PRNG, not on timing, so a seed replays it.
 */
export function crowdShoppers(random: () => number, poolSize: number): () => string {
  let arrived = 0;
  return () => {
    if (arrived === 0 || (arrived < poolSize && random() < NEWCOMER_SHARE)) return String(++arrived);
    return String(1 + below(random, arrived));
  };
}
