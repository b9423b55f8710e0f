import { Counter, Histogram, type Registry } from "prom-client";

export type LockMode = "single" | "redlock";
export type TimeoutReason = "busy" | "unavailable";

const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

// Several lock instances may share one registry; prom-client refuses a second registration of a name.
function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter<string> {
  return (registry.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

function histogram(registry: Registry, name: string, help: string): Histogram<string> {
  return (
    (registry.getSingleMetric(name) as Histogram<string> | undefined) ??
    new Histogram({ name, help, labelNames: ["mode"], buckets: SECONDS_BUCKETS, registers: [registry] })
  );
}

function create(registry: Registry) {
  return {
    acquisitions: counter(registry, "lock_acquisitions_total", "Locks acquired", ["mode"]),
    timeouts: counter(registry, "lock_acquire_timeouts_total", "Acquisitions given up: lock held throughout (busy) or Redis unavailable", ["mode", "reason"]),
    wait: histogram(registry, "lock_wait_seconds", "Time from asking for a lock to holding it"),
    hold: histogram(registry, "lock_hold_seconds", "Time from acquiring a lock to releasing it"),
    lost: counter(registry, "lock_lost_leases_total", "Leases found lost while the holder still relied on them", ["mode"]),
  };
}

/** The lock metrics, or nothing without a registry. */
export class LockMetrics {
  private readonly m?: ReturnType<typeof create>;
  /** A lease is counted lost once, however many calls notice. */
  private readonly counted = new WeakSet<object>();

  constructor(
    private readonly mode: LockMode,
    registry?: Registry,
  ) {
    this.m = registry && create(registry);
  }

  acquired(waitMs: number): void {
    this.m?.acquisitions.inc({ mode: this.mode });
    this.m?.wait.observe({ mode: this.mode }, waitMs / 1000);
  }

  timedOut(reason: TimeoutReason): void {
    this.m?.timeouts.inc({ mode: this.mode, reason });
  }

  released(holdMs: number): void {
    this.m?.hold.observe({ mode: this.mode }, holdMs / 1000);
  }

  lost(lock: object): void {
    if (this.counted.has(lock)) return;
    this.counted.add(lock);
    this.m?.lost.inc({ mode: this.mode });
  }
}
