import { spawn } from "node:child_process";
import { once } from "node:events";

export interface Reaper {
  /** Stands the reaper down, before a normal cleanup, so it never kills a pid reused later. */
  disarm(): Promise<void>;
}

/**
 * Kills `pid` and removes `paths` once this process is gone, however it
 * goes: a crash, Ctrl-C, a CI timeout, even SIGKILL. A shell waits for EOF
 * on a pipe only we hold open, which the OS closes when we die. A
 * `process.once("exit")` hook cannot do this under jest: test code gets a
 * copy of `process` whose "exit" listeners are never called.
 */
export function reapOnExit(pid: number, paths: readonly string[] = []): Reaper {
  // Ignoring INT/TERM/HUP keeps it alive when Ctrl-C hits the whole process group, so it still cleans up.
  const script = 'trap "" INT TERM HUP; cat >/dev/null; kill -9 "$1" 2>/dev/null; shift; rm -rf "$@"';
  const reaper = spawn("sh", ["-c", script, "reaper", String(pid), ...paths], { stdio: ["pipe", "ignore", "ignore"] });
  reaper.stdin!.on("error", () => undefined); // we never write; EPIPE if it is gone is fine
  const exited = once(reaper, "exit");
  return {
    async disarm() {
      if (reaper.exitCode === null && reaper.signalCode === null) {
        reaper.kill("SIGKILL");
        await exited;
      }
    },
  };
}
