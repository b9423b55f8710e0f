import type { EventEmitter } from "node:events";
import { performance } from "node:perf_hooks";

/** Connections that cannot open in this long are left behind; the run starts without waiting for them. */
const WARM_TIMEOUT_MS = 10_000;

/**
 * Opens every connection before a run's clock starts. Until each autocannon
 * client has had one answer, requests are GET /healthz (neither booked nor
 * timed); then `ready` turns true and the real requests begin. Without this
 * the first request of each connection carries its TCP connect, and on a
 * busy machine a fifth of 200 simultaneous connects can take a second:
 * enough to set the p99 and the rate of a short phase by itself.
 */
export class ConnectionWarmer {
  private answered = 0;
  private readonly deadline = performance.now() + WARM_TIMEOUT_MS;
  private readyAt: number | undefined;

  constructor(
    private readonly connections: number,
    private readonly onReady: (at: number) => void,
  ) {}

  /** autocannon's setupClient hook: counts each client's first answer. */
  readonly setupClient = (client: EventEmitter): void => {
    client.once("response", () => {
      if (++this.answered >= this.connections) this.markReady();
    });
  };

  /** performance.now() when the run's clock started, once it has. */
  get startedAt(): number | undefined {
    if (this.readyAt === undefined && performance.now() > this.deadline) this.markReady();
    return this.readyAt;
  }

  private markReady(): void {
    if (this.readyAt !== undefined) return;
    this.readyAt = performance.now();
    this.onReady(this.readyAt);
  }
}

/** p-th percentile (0..100) of latencies in ms, nearest rank; 0 when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
