import { performance } from "node:perf_hooks";

const epoch = performance.now();
/** Wall-clock time of the harness clock's zero, for the JSON report. */
export const CLOCK_EPOCH_ISO = new Date(Date.now()).toISOString();

/**
 * Milliseconds since the harness started, monotonic (not moved by NTP), one
 * clock for requests and faults alike so "answered during a fault" and
 * "sent after that SOLD_OUT" compare like with like.
 */
export const now = (): number => Math.round((performance.now() - epoch) * 10) / 10;
