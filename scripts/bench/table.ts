import { markdownTable } from "markdown-table";

/** One table, as the terminal, report.md and report.html show it. */
export interface Table {
  title: string;
  headers: string[];
  /** Columns whose cells are numbers, right-aligned. */
  numeric?: number[];
  rows: string[][];
}

/** GitHub markdown with padded columns: readable as it is in a terminal, and rendered in the reports. */
export function renderTable(t: Table, heading = ""): string {
  const align = t.headers.map((_, i) => (t.numeric?.includes(i) ? "r" : "l"));
  return `${heading}${t.title}\n\n${markdownTable([t.headers, ...t.rows], { align })}`;
}

export const num = (n: number) => Math.round(n).toLocaleString("en-US");
export const pct = (ratio: number) => `${(ratio * 100).toFixed(0)}%`;
export const pct1 = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
export const ms = (n: number) => (n >= 10 ? n.toFixed(0) : n.toFixed(1));
/** A cost per request: three decimals show a 0.01 target and a fraction of a command alike. */
export const perRequest = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(3));
