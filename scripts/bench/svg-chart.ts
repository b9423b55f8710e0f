/**
 * Horizontal grouped bar charts as inline SVG, so report.html needs no
 * script or CDN and opens offline. One group per row label, one bar per series.
 */
export interface ChartSpec {
  title: string;
  unit: string;
  series: string[];
  groups: { label: string; values: (number | null)[] }[];
  /** A vertical marker, e.g. the p99 limit or a baseline. */
  refLine?: { value: number; label: string };
}

const COLORS = ["#3b6ea8", "#e08a2c", "#4f9a5b", "#b04a5a", "#7a5ca8"];
const WIDTH = 820;
const LABEL_W = 230;
const VALUE_W = 90;
const BAR_H = 14;
const GAP = 10;
const TOP = 48;

export const escapeXml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));

export function barChart(spec: ChartSpec): string {
  const plotW = WIDTH - LABEL_W - VALUE_W;
  const all = spec.groups.flatMap((g) => g.values.filter((v): v is number => v !== null));
  const max = Math.max(1e-9, ...all, spec.refLine?.value ?? 0);
  const x = (v: number) => LABEL_W + (v / max) * plotW;
  const groupH = spec.series.length * BAR_H + GAP;
  const height = TOP + spec.groups.length * groupH + 24;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(spec.title)}">`,
    `<text x="0" y="16" font-size="15" font-weight="bold">${escapeXml(spec.title)} (${escapeXml(spec.unit)})</text>`,
  ];
  // One series needs no legend: the title says what the bars are.
  const legend = spec.series.length > 1 ? spec.series : [];
  let lx = LABEL_W;
  legend.forEach((name, i) => {
    parts.push(`<rect x="${lx}" y="26" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`);
    parts.push(`<text x="${lx + 16}" y="36" font-size="12">${escapeXml(name)}</text>`);
    lx += 16 + name.length * 7 + 24; // ~7 px a character at 12 px
  });
  spec.groups.forEach((g, gi) => {
    const y0 = TOP + gi * groupH;
    parts.push(`<text x="${LABEL_W - 6}" y="${y0 + (spec.series.length * BAR_H) / 2 + 4}" font-size="12" text-anchor="end">${escapeXml(g.label)}</text>`);
    g.values.forEach((v, si) => {
      const y = y0 + si * BAR_H;
      if (v === null) return;
      const w = Math.max(1, x(v) - LABEL_W);
      parts.push(`<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H - 2}" fill="${COLORS[si % COLORS.length]}"><title>${escapeXml(`${g.label} ${spec.series[si]}: ${fmt(v)} ${spec.unit}`)}</title></rect>`);
      parts.push(`<text x="${(LABEL_W + w + 4).toFixed(1)}" y="${y + BAR_H - 3}" font-size="11">${fmt(v)}</text>`);
    });
  });
  if (spec.refLine) {
    const rx = x(spec.refLine.value).toFixed(1);
    parts.push(`<line x1="${rx}" x2="${rx}" y1="${TOP - 4}" y2="${height - 20}" stroke="#c00" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${rx}" y="${height - 6}" font-size="11" fill="#c00" text-anchor="middle">${escapeXml(spec.refLine.label)}</text>`);
  }
  parts.push("</svg>");
  return parts.join("\n");
}
