import type { SaleView } from "../../src/monitor/sale-update";
import { CouponCard } from "./coupon-card";

/** The cards of the watched coupons, in the order the server sends them. */
export class CouponList {
  private readonly cards = new Map<number, CouponCard>();
  private readonly template: HTMLTemplateElement;

  constructor(
    private readonly container: HTMLElement,
    private readonly empty: HTMLElement,
    private readonly onLoggedOut: (err: unknown) => boolean,
  ) {
    this.template = document.getElementById("coupon-template") as HTMLTemplateElement;
  }

  show(views: readonly SaleView[]): void {
    const ids = new Set(views.map((v) => v.id));
    for (const [id, card] of this.cards) {
      if (!ids.has(id)) {
        card.element.remove();
        this.cards.delete(id);
      }
    }
    let previous: Element | null = null;
    for (const view of views) {
      let card = this.cards.get(view.id);
      if (card) card.update(view);
      else {
        card = new CouponCard(view, this.template, this.onLoggedOut);
        this.cards.set(view.id, card);
      }
      // Moved only when out of place: moving a focused element would lose its focus.
      const expected: Element | null = previous ? previous.nextElementSibling : this.container.firstElementChild;
      if (expected !== card.element) {
        if (previous) previous.after(card.element);
        else this.container.prepend(card.element);
      }
      previous = card.element;
    }
    this.empty.hidden = views.length > 0;
  }

  clear(): void {
    this.container.replaceChildren();
    this.cards.clear();
  }
}
