/**
 * During an outage every request fails the same way, and a warning per
 * request would flood the log (about 2,300 lines a second here). One line a
 * second per kind, carrying how many were folded into it, says as much.
 * Metrics still count every failure.
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly intervalMs = 1_000) {}

  /** Undefined: stay quiet. A number: log now, noting that many suppressed since the last line. */
  admit(kind: string, now = Date.now()): number | undefined {
    const entry = this.last.get(kind);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return undefined;
    }
    this.last.set(kind, { at: now, suppressed: 0 });
    return entry?.suppressed ?? 0;
  }
}
