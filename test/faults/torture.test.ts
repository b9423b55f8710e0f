import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * The torture harness in its short form: every strategy, every fault kind,
 * two processes, a fixed seed (so a failure here replays with
 * `npm run torture -- --duration 10 --seed 2`). Passes only when no
 * strategy broke any rule AND the faults really happened while shoppers
 * were being answered: a harness that injected nothing would prove nothing.
 */
const HARNESS = path.resolve(__dirname, "../../dist/scripts/torture.js");
const SEED = "2";
const DURATION_SECONDS = "10";
const WALL_LIMIT_MS = 110_000;

interface Report {
  runs: {
    strategy: string;
    timeline: { kind: string }[];
    verdict: {
      checks: { id: string; ok: boolean; count: number; examples: string[]; detail: string }[];
      figures: { answeredDuringFault: Record<string, number> };
    };
  }[];
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "torture-test-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it(
  "every strategy keeps I1–I4 and answers truly under stall, latency, kill, flush and pg-cut",
  async () => {
    const json = path.join(dir, "torture.json");
    const args = [HARNESS, "--strategy", "all", "--duration", DURATION_SECONDS, "--processes", "2", "--seed", SEED, "--json", json];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    // The harness stops everything it started on SIGINT; the timer only guards against a hang.
    const guard = setTimeout(() => child.kill("SIGINT"), WALL_LIMIT_MS - 5_000);
    const [code] = (await once(child, "exit")) as [number | null];
    clearTimeout(guard);

    // 0 pass, 1 violations: both leave a full report. 2 or 3 mean the harness itself failed.
    if (code !== 0 && code !== 1) throw new Error(`torture exited with ${code}:\n${output}`);
    const report = JSON.parse(readFileSync(json, "utf8")) as Report;
    expect(report.runs.map((r) => r.strategy)).toEqual(["redis-set", "queue", "lock", "postgres"]);

    const kinds = new Set(report.runs.flatMap((r) => r.timeline.map((f) => f.kind)));
    expect([...kinds].sort()).toEqual(["flush", "kill", "latency", "pg-cut", "stall"]);
    for (const run of report.runs) {
      expect(run.timeline.length).toBeGreaterThan(0);
      const answeredDuringFaults = Object.values(run.verdict.figures.answeredDuringFault).reduce((a, b) => a + b, 0);
      expect(answeredDuringFaults).toBeGreaterThan(0);
    }

    // Last, so a failure names every broken rule of every strategy at once, with examples.
    const violations = Object.fromEntries(
      report.runs.map((r) => [r.strategy, r.verdict.checks.filter((c) => !c.ok).map((c) => `${c.id}: ${c.detail} (e.g. users ${c.examples.join(", ")})`)]),
    );
    expect(violations).toEqual({ "redis-set": [], queue: [], lock: [], postgres: [] });
  },
  WALL_LIMIT_MS,
);
