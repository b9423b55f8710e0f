import { setTimeout as sleep } from "node:timers/promises";
import { now } from "./clock";
import type { PlannedFault } from "./fault-plan";
import type { FaultRecord } from "./types";
import type { World } from "./world";

/**
 * Plays a fault plan against the world, one fault at a time with healthy
 * gaps between them, and records when each really started and ended. A
 * fault in progress always runs to its end and undoes itself (SIGCONT, proxy
 * open, replies on time, process restarted) even when asked to stop, so a
 * stopped injector leaves a healthy world behind.
 */
export class FaultInjector {
  readonly timeline: FaultRecord[] = [];
  private readonly stopGap = new AbortController();
  private stopping = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly world: World,
    private readonly plan: readonly PlannedFault[],
  ) {}

  start(): void {
    this.running = this.play();
    // Reported by stop(); without this, a failure before stop() would crash the harness as unhandled.
    this.running.catch(() => undefined);
  }

  /** Lets the fault in progress finish, starts no other; rejects if a fault could not be undone (e.g. a restart failed). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopGap.abort();
    await this.running;
  }

  private async play(): Promise<void> {
    for (const fault of this.plan) {
      try {
        await sleep(fault.gapMs, undefined, { signal: this.stopGap.signal });
      } catch {
        return; // stopped during a healthy gap
      }
      if (this.stopping) return;
      this.timeline.push(await this.inject(fault));
    }
  }

  private async inject(fault: PlannedFault): Promise<FaultRecord> {
    const start = now();
    const record: FaultRecord = { kind: fault.kind, start, end: start };
    switch (fault.kind) {
      case "stall":
        // The server keeps its sockets and its data; commands sent meanwhile run when it resumes.
        this.world.redis.kill("SIGSTOP");
        await sleep(fault.durationMs).finally(() => this.world.redis.kill("SIGCONT"));
        break;
      case "latency": {
        const delayMs = fault.delayMs!;
        record.delayMs = delayMs;
        this.world.redisProxy.delayReplies(delayMs);
        await sleep(fault.durationMs).finally(() => this.world.redisProxy.delayReplies(0));
        // Replies held back just before the delay ended still arrive up to delayMs later.
        await sleep(delayMs);
        break;
      }
      case "kill": {
        const victim = this.world.processes[fault.process!]!;
        record.process = victim.index;
        await victim.kill();
        await sleep(fault.durationMs);
        await victim.start(); // same port; throws (and fails the run) if it cannot come back
        break;
      }
      case "flush":
        await this.world.flushRedis();
        break;
      case "pg-cut":
        await this.world.pgProxy.cut();
        await sleep(fault.durationMs).finally(() => this.world.pgProxy.restore());
        break;
    }
    record.end = now();
    return record;
  }
}
