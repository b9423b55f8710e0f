import uPlot from "uplot";
import type { SaleView } from "../../src/monitor/sale-update";

const HEIGHT = 160;
const INK = "#1f2937";
const LINE = "#1d4ed8";

/** Rows issued per second over the last minutes, redrawn from each update. */
export class RateChart {
  private readonly plot: uPlot;

  constructor(container: HTMLElement) {
    this.plot = new uPlot(
      {
        width: Math.max(240, container.clientWidth),
        height: HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        series: [{}, { label: "Issued per second", stroke: LINE, width: 2, fill: "rgba(29, 78, 216, 0.12)" }],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [
          { stroke: INK, grid: { stroke: "#e5e7eb" } },
          { stroke: INK, grid: { stroke: "#e5e7eb" }, label: "issued / s", size: 56 },
        ],
      },
      [[], []],
      container,
    );
    // The page's width decides the chart's.
    new ResizeObserver(() => this.plot.setSize({ width: Math.max(240, container.clientWidth), height: HEIGHT })).observe(container);
  }

  show(rate: SaleView["rate"]): void {
    this.plot.setData([rate.t as number[], rate.perSecond as number[]]);
  }
}
