import type { AnswerKind, CouponStatus, SaleView } from "../../src/monitor/sale-update";
import { send } from "./api";
import { count, milliseconds, perSecond } from "./format";
import { RateChart } from "./rate-chart";

type Action = "pause" | "resume" | "close";

/** Which controls make sense in which state; the server decides in the end. */
const ALLOWED: Record<Action, readonly CouponStatus[]> = {
  pause: ["live"],
  resume: ["paused"],
  close: ["scheduled", "live", "paused", "sold-out"],
};
/** The issue rate shown as a number: the mean of the last 10 samples (one a second), steadier than the last one alone. */
const RATE_SAMPLES = 10;
const recentRate = (perSecond: readonly number[]) => {
  const recent = perSecond.slice(-RATE_SAMPLES);
  return recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : undefined;
};

const DONE: Record<Action, string> = { pause: "Paused.", resume: "Resumed.", close: "Closed." };

/**
 * One coupon on the page. Built once and then only updated in place, so
 * keyboard focus and a limit being typed survive the updates.
 */
export class CouponCard {
  readonly element: HTMLElement;
  private readonly chart: RateChart;
  private readonly buttons: Record<Action, HTMLButtonElement>;
  private readonly limitInput: HTMLInputElement;
  private readonly result: HTMLElement;
  private status: CouponStatus;
  private busy = false;

  constructor(
    private view: SaleView,
    template: HTMLTemplateElement,
    /** The login is gone: the page should ask for it again. */
    private readonly onLoggedOut: (err: unknown) => boolean,
  ) {
    const el = template.content.firstElementChild!.cloneNode(true) as HTMLElement;
    this.element = el;
    this.status = view.status;
    const id = `coupon-${view.id}`;
    const title = el.querySelector<HTMLElement>(".coupon-title")!;
    title.id = `${id}-title`;
    title.textContent = `#${view.id} ${view.name}`;
    el.setAttribute("aria-labelledby", title.id);
    el.querySelector(".controls")!.setAttribute("aria-label", `Controls for coupon #${view.id}`);
    el.querySelector(".chart")!.setAttribute("aria-label", `Rows issued per second over the last minutes, coupon #${view.id}`);
    const queue = el.querySelector<HTMLElement>("[data-queue-only]")!;
    queue.hidden = view.strategy !== "queue";

    this.buttons = {
      pause: el.querySelector('[data-action="pause"]')!,
      resume: el.querySelector('[data-action="resume"]')!,
      close: el.querySelector('[data-action="close"]')!,
    };
    for (const action of Object.keys(this.buttons) as Action[]) {
      this.buttons[action].addEventListener("click", () => void this.act(action));
    }
    const form = el.querySelector<HTMLFormElement>(".limit-form")!;
    this.limitInput = form.querySelector("input")!;
    this.limitInput.id = `${id}-limit`;
    form.querySelector("label")!.htmlFor = this.limitInput.id;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.setLimit(Number(this.limitInput.value));
    });
    this.result = el.querySelector(".action-result")!;
    this.chart = new RateChart(el.querySelector(".chart")!);
    this.update(view);
  }

  update(view: SaleView): void {
    this.view = view;
    this.status = view.status;
    this.field("status", view.status);
    this.element.querySelector('[data-field="status"]')!.className = `badge badge-${view.status}`;
    this.field("strategy", view.strategy);
    this.field("issued", count(view.issued));
    this.field("remaining", count(view.remaining));
    this.field("limit", count(view.totalQuantity));
    this.field("rate", perSecond(recentRate(view.rate.perSecond)));
    this.field("p99", milliseconds(view.p99Ms));
    this.field("queue", view.queueDepth === null ? "–" : count(view.queueDepth));
    for (const cell of this.element.querySelectorAll<HTMLElement>("[data-answer]")) {
      const n = view.answers?.[cell.dataset.answer as AnswerKind];
      cell.textContent = n === undefined ? "–" : count(n);
    }
    this.chart.show(view.rate);
    this.enableControls();
  }

  private field(name: string, text: string): void {
    const el = this.element.querySelector<HTMLElement>(`[data-field="${name}"]`)!;
    if (el.textContent !== text) el.textContent = text;
  }

  private enableControls(): void {
    for (const action of Object.keys(this.buttons) as Action[]) {
      this.buttons[action].disabled = this.busy || !ALLOWED[action].includes(this.status);
    }
  }

  private async act(action: Action): Promise<void> {
    if (action === "close" && !confirm(`Close the sale of “${this.view.name}”? Shoppers will be told it has ended.`)) return;
    await this.run(() => send("POST", `/coupons/${this.view.id}/${action}`), DONE[action]);
  }

  private async setLimit(limit: number): Promise<void> {
    await this.run(() => send("PUT", `/coupons/${this.view.id}/limit`, { totalQuantity: limit }), `Limit set to ${count(limit)}.`);
  }

  private async run(call: () => Promise<unknown>, done: string): Promise<void> {
    this.busy = true;
    this.enableControls();
    this.result.textContent = "Working…";
    try {
      await call();
      this.result.textContent = done;
    } catch (err) {
      if (!this.onLoggedOut(err)) this.result.textContent = (err as Error).message;
    } finally {
      this.busy = false;
      this.enableControls();
    }
  }
}
