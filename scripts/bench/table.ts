/** One table, rendered for the terminal (aligned columns) or for markdown (pipes). */
export interface Table {
  title: string;
  headers: string[];
  /** Columns whose cells are numbers, right-aligned in the terminal. */
  numeric?: number[];
  rows: string[][];
}

export function renderText(t: Table): string {
  const widths = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? "").length)));
  const cell = (s: string, i: number) => (t.numeric?.includes(i) ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const line = (r: string[]) => "  " + r.map(cell).join("  ").trimEnd();
  return [t.title, line(t.headers), "  " + widths.map((w) => "-".repeat(w)).join("  "), ...t.rows.map(line)].join("\n");
}

export function renderMarkdown(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const align = t.headers.map((_, i) => (t.numeric?.includes(i) ? "---:" : "---"));
  const line = (r: string[]) => `| ${r.map(esc).join(" | ")} |`;
  return [`### ${t.title}`, "", line(t.headers), `|${align.join("|")}|`, ...t.rows.map(line)].join("\n");
}

export const num = (n: number) => Math.round(n).toLocaleString("en-US");
export const pct = (ratio: number) => `${(ratio * 100).toFixed(0)}%`;
export const pct1 = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
export const ms = (n: number) => (n >= 10 ? n.toFixed(0) : n.toFixed(1));
