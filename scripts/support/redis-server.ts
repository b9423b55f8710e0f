import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { freePort } from "./free-port";

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** The redis-server's pid, e.g. for a reaper that outlives this process. */
  readonly pid: number;
  /** Kills the process (SIGKILL, which also ends a SIGSTOPped one) and waits for it to exit. */
  stop(): Promise<void>;
  /** Sends a signal, e.g. SIGSTOP to make the node hang, SIGCONT to resume. */
  kill(signal: NodeJS.Signals): void;
}

const running = new Set<ChildProcess>();

// Safety net for a run that ends without afterAll (a crash, Ctrl-C): no orphaned servers.
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Starts a throwaway redis-server with no persistence, on a free port (or
 * `port`, e.g. to restart a stopped node empty), and resolves once it
 * answers PING. `extraArgs` go after ours, e.g. to enable cluster mode.
 */
export async function startRedisServer(port?: number, extraArgs: readonly string[] = []): Promise<RedisServer> {
  const p = port ?? (await freePort());
  const args = ["--port", String(p), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1", ...extraArgs];
  const child = spawn("redis-server", args, { cwd: tmpdir(), stdio: "ignore" });
  running.add(child);
  const exited = once(child, "exit");
  const server: RedisServer = {
    port: p,
    pid: child.pid!,
    url: `redis://127.0.0.1:${p}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
      running.delete(child);
    },
    kill: (signal) => child.kill(signal),
  };
  try {
    await untilPingAnswers(p, child);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

async function untilPingAnswers(port: number, child: ChildProcess): Promise<void> {
  let lastError: unknown;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${child.exitCode}`);
    const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on("error", () => undefined);
    try {
      await probe.connect();
      if ((await probe.ping()) === "PONG") return;
    } catch (err) {
      lastError = err; // Most likely not listening yet; kept for the final error.
    } finally {
      probe.disconnect();
    }
    await sleep(50);
  }
  throw new Error(`redis-server on port ${port} did not answer PING within 5 s`, { cause: lastError });
}

