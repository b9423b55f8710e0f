/**
 * Top self-time functions of a V8 .cpuprofile (what `node --cpu-prof`
 * writes), so a missed target comes with where the service spent its CPU.
 * Usable alone: node dist/scripts/bench/profile-summary.js FILE [N]
 */
import { readFileSync } from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  /** Microseconds on the monotonic clock, the one process.hrtime reads in any process on this machine. */
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  selfMs: number;
  /** Of the busy time: idle is left out, so the shares say where the work went. */
  percent: number;
}

const shortUrl = (url: string) => {
  if (!url) return "";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) return url.slice(nm + "node_modules/".length);
  const dist = url.lastIndexOf("/dist/");
  return dist >= 0 ? url.slice(dist + 1) : path.basename(url);
};

/** Now on the clock a .cpuprofile's timestamps use, so another process's samples can be cut to a window of ours. */
export const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

/** With `windows` ([start, end] in monotonicMicros), only the samples inside them count. */
export function topSelfTime(file: string, n = 15, windows?: readonly (readonly [number, number])[]): SelfTime[] {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, { name: string; where: string; us: number }>();
  let busyUs = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    if (windows && !windows.some(([a, b]) => at >= a && at <= b)) return;
    if (!frame || frame.functionName === "(idle)") return;
    busyUs += us;
    const name = frame.functionName || "(anonymous)";
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : "";
    const key = `${name}@${where}`;
    const t = totals.get(key) ?? { name, where, us: 0 };
    t.us += us;
    totals.set(key, t);
  });
  return [...totals.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, n)
    .map((t) => ({ name: t.name, where: t.where, selfMs: Math.round(t.us / 1000), percent: busyUs ? (100 * t.us) / busyUs : 0 }));
}

export function formatTop(top: SelfTime[]): string {
  return top.map((t) => `  ${t.percent.toFixed(1).padStart(5)}%  ${String(t.selfMs).padStart(6)} ms  ${t.name}  ${t.where}`).join("\n");
}

if (require.main === module) {
  const [file, n] = process.argv.slice(2);
  if (!file) {
    console.error("usage: node dist/scripts/bench/profile-summary.js FILE.cpuprofile [N]");
    process.exit(2);
  }
  console.log(formatTop(topSelfTime(file, n ? Number(n) : 15)));
}
