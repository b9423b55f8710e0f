import { prng } from "../load/recorder";

/**
 * A PRNG for one purpose of one strategy's run, e.g. ("queue", "faults").
 * Each stream depends only on the seed and its own label, so `--strategy
 * queue --seed 7` replays exactly the schedule and users that queue had in
 * `--strategy all --seed 7`, and the number of requests sent (which depends
 * on timing) never shifts the fault schedule.
 */
export function seededStream(seed: number, ...labels: string[]): () => number {
  let h = 0x811c9dc5 ^ seed; // FNV-1a over the labels, starting from the seed
  for (const ch of labels.join("/")) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return prng(h >>> 0);
}

/** A uniform number in [min, max). */
export const between = (random: () => number, min: number, max: number) => min + random() * (max - min);

/** A uniform integer in [0, n). */
export const below = (random: () => number, n: number) => Math.floor(random() * n);
