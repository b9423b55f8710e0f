import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { waitReady } from "../load/api";
import { reapOnExit, type Reaper } from "../support/orphan-reaper";

const MAIN = path.join(__dirname, "..", "..", "src", "main.js");
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 15_000;
const TAIL_LINES = 40;

/**
 * One API process (dist/src/main.js, WORKERS=1) on a fixed port, so a killed
 * one comes back where the crowd expects it. `up` is what the crowd reads to
 * skip a process that is dead or not ready yet: a load balancer would take
 * it out of rotation too, and hammering a closed port would only burn the
 * CPU the survivors need.
 */
export class ApiProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<unknown> = Promise.resolve();
  private reaper: Reaper | undefined;
  private readonly lines: string[] = [];
  up = false;

  constructor(
    readonly index: number,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Spawns the process and resolves once GET /readyz answers 200; throws (after killing it) if it never does. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? "", ...this.env, PORT: String(this.port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.exited = once(child, "exit").catch(() => undefined);
    // If the harness itself is killed, the process must not outlive it holding the port.
    this.reaper = child.pid ? reapOnExit(child.pid) : undefined;
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) if (line.trim()) this.lines.push(`[api ${this.index}] ${line}`);
      if (this.lines.length > TAIL_LINES) this.lines.splice(0, this.lines.length - TAIL_LINES);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    try {
      await waitReady(this.url, READY_TIMEOUT_MS, () => child.exitCode === null && child.signalCode === null);
    } catch (err) {
      await this.kill();
      throw new Error(`API process ${this.index} (port ${this.port}) did not start: ${(err as Error).message}\n${this.tail().join("\n")}`);
    }
    this.up = true;
  }

  /** SIGKILL, as a crash or the OOM killer would; resolves once it has exited. */
  async kill(): Promise<void> {
    this.up = false;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await this.exited;
    await this.reaper?.disarm();
  }

  /** SIGTERM (graceful: it settles its batches), SIGKILL after a grace period. */
  async stop(): Promise<void> {
    this.up = false;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    await this.reaper?.disarm();
  }

  /** The last lines it printed, to explain a failure. */
  tail(): string[] {
    return [...this.lines];
  }
}
