import { setTimeout as sleep } from "node:timers/promises";
import type { ChangeListener } from "../../src/issuance/coupon-events";
import { ChangeLog } from "../../src/issuance/sold-out/change-log";
import { Holders } from "../../src/issuance/sold-out/holders";
import { SoldOutMemory, type Question, type SoldOutMemoryOptions } from "../../src/issuance/sold-out/sold-out-memory";
import { ALREADY_ISSUED, EVERY_PLACE_TAKEN, SOLD_OUT, type CouponRef, type IssuanceStrategy, type IssueOutcome } from "../../src/issuance/types";

describe("ChangeLog", () => {
  it("tells a coupon changed since a mark only if its notice came after it", () => {
    const log = new ChangeLog(10);
    log.changed(1);
    const mark = log.mark();
    expect(log.changedSince(1, mark)).toBe(false);
    log.changed(2);
    expect(log.changedSince(1, mark)).toBe(false);
    expect(log.changedSince(2, mark)).toBe(true);
    log.changed(1);
    expect(log.changedSince(1, mark)).toBe(true);
  });

  it("after a gap every coupon has changed, even one never heard of", () => {
    const log = new ChangeLog(10);
    const mark = log.mark();
    log.changedAll();
    expect(log.changedSince(1, mark)).toBe(true);
    expect(log.changedSince(999, mark)).toBe(true);
    expect(log.changedSince(999, log.mark())).toBe(false);
  });

  it("stays bounded, and a coupon it had to forget counts as changed, never as unchanged", () => {
    const log = new ChangeLog(3);
    const mark = log.mark();
    log.changed(1);
    const later = log.mark();
    for (const id of [2, 3, 4]) log.changed(id); // 1 is pushed out
    expect(log.changedSince(1, mark)).toBe(true);
    // Pushed out with number 1, and the floor only rises to what was forgotten: before `later`, so unchanged since.
    expect(log.changedSince(1, later)).toBe(false);
    for (const id of [5, 6]) log.changed(id); // 2, forgotten now, changed after `later`
    expect(log.changedSince(1, later)).toBe(true);
  });
});

describe("Holders", () => {
  it("knows exactly who holds a place, up to the largest 64-bit id, and who of them still waits", () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => String(1_000 + i * 7));
    const top = "18446744073709551615";
    const holders = Holders.of([...ids, top], ["1007", top]);
    expect(holders.size).toBe(10_001);
    for (const u of ids.filter((u) => u !== "1007")) expect(holders.standing(u)).toBe("settled");
    expect([holders.standing("1007"), holders.standing(top)]).toEqual(["waiting", "waiting"]);
    for (const u of ["1", "1001", "1008", "18446744073709551614", "99999999"]) expect(holders.standing(u)).toBe("none");
    holders.settle("1007");
    expect(holders.standing("1007")).toBe("settled");
  });

  it("an empty coupon holds nobody", () => {
    expect(Holders.of([], []).standing("1")).toBe("none");
  });
});

/** A channel whose health and notices the test sets by hand. */
class FakeChannel {
  healthy = true;
  private listeners: ChangeListener[] = [];
  onChange(l: ChangeListener) {
    this.listeners.push(l);
  }
  notify(id: number | undefined) {
    for (const l of this.listeners) l(id);
  }
}

const coupon = (id: number, tag = "t1"): CouponRef => ({ id, strategy: "redis-set", startsAt: null, endsAt: null, tag });

function setup(options: Partial<SoldOutMemoryOptions> & { holdersOf?: Map<number, string[]>; waitingOf?: Map<number, string[]> } = {}) {
  const channel = new FakeChannel();
  const counts = { answered: 0, notice: 0, gap: 0, untrusted: 0, reads: 0 };
  const holdersOf = options.holdersOf ?? new Map<number, string[]>();
  const waitingOf = options.waitingOf ?? new Map<number, string[]>();
  let pause: Promise<void> = Promise.resolve();
  const memory = new SoldOutMemory(
    channel,
    {
      answered: () => counts.answered++,
      invalidated: (cause, n) => (counts[cause] += n),
      untrusted: () => counts.untrusted++,
    },
    {
      maxCoupons: 100,
      maxHolders: 1_000,
      maxWaiting: 10,
      ttlMs: 60_000,
      confirmWithinMs: 60_000,
      holders: async function* (id) {
        counts.reads++;
        await pause;
        yield holdersOf.get(id) ?? [];
      },
      waiting: {
        count: async (id) => waitingOf.get(id)?.length ?? 0,
        userIds: async (id) => new Set(waitingOf.get(id)),
      },
      ...options,
    },
  );
  return {
    channel,
    counts,
    memory,
    holdersOf,
    waitingOf,
    /** Reading holders waits until the returned function is called. */
    holdReads: () => {
      let release!: () => void;
      pause = new Promise((r) => (release = r));
      return release;
    },
  };
}

/** Lets a background read of holders finish. */
const settle = () => sleep(5);

/** What the memory answers `userId` on its own: sold-out, already-issued, or "ask" (Redis must be asked). */
function answer(memory: SoldOutMemory, c: CouponRef, userId: string): string {
  const a = memory.ask(c, userId);
  return "kind" in a ? a.kind : "ask";
}

/** Redis found every place taken for a request that asked `memory` first. */
function soldOutInRedis(memory: SoldOutMemory, c: CouponRef, question?: Question): void {
  const q = question ?? memory.ask(c, "1");
  if ("kind" in q) throw new Error("the memory answered; Redis was not asked");
  memory.heard(c, q, EVERY_PLACE_TAKEN);
}

function question(memory: SoldOutMemory, c: CouponRef, userId = "1"): Question {
  const q = memory.ask(c, userId);
  if ("kind" in q) throw new Error(`the memory answered ${q.kind}`);
  return q;
}

describe("SoldOutMemory", () => {
  it("once Redis said every place is taken: SOLD_OUT to non-holders, ALREADY_ISSUED to settled holders, Redis for the waiting", async () => {
    const { memory, counts, holdersOf, waitingOf } = setup();
    holdersOf.set(1, ["10", "11", "12"]);
    waitingOf.set(1, ["12"]);
    expect(answer(memory, coupon(1), "99")).toBe("ask");
    soldOutInRedis(memory, coupon(1));
    await settle();
    expect(answer(memory, coupon(1), "99")).toBe("sold-out");
    expect(answer(memory, coupon(1), "10")).toBe("already-issued");
    expect(answer(memory, coupon(1), "11")).toBe("already-issued");
    expect(answer(memory, coupon(1), "12")).toBe("ask");
    // A coupon of the same id from another ledger state is another sale.
    expect(answer(memory, coupon(1, "t2"), "99")).toBe("ask");
    expect(counts.answered).toBe(3);
  });

  it("a waiting holder Redis calls ALREADY_ISSUED is settled from then on, whatever other coupons do meanwhile", async () => {
    const { memory, channel, holdersOf, waitingOf } = setup();
    holdersOf.set(1, ["10", "12"]);
    waitingOf.set(1, ["10", "12"]);
    soldOutInRedis(memory, coupon(1));
    await settle();
    memory.heard(coupon(1), question(memory, coupon(1), "10"), ALREADY_ISSUED);
    expect(answer(memory, coupon(1), "10")).toBe("already-issued");
    const q = question(memory, coupon(1), "12");
    channel.notify(2); // another coupon's: no matter
    memory.heard(coupon(1), q, ALREADY_ISSUED);
    expect(answer(memory, coupon(1), "12")).toBe("already-issued");
  });

  it("does not remember a sale with more holders still held or queued than it keeps by id, and rests before reading it again", async () => {
    const { memory, counts, holdersOf, waitingOf } = setup({ maxWaiting: 2 });
    holdersOf.set(1, ["10", "11", "12"]);
    waitingOf.set(1, ["10", "11", "12"]);
    soldOutInRedis(memory, coupon(1));
    await settle();
    expect(answer(memory, coupon(1), "99")).toBe("ask");
    waitingOf.set(1, []);
    soldOutInRedis(memory, coupon(1));
    await settle();
    expect(answer(memory, coupon(1), "99")).toBe("ask");
    expect(counts.reads).toBe(0);
  });

  it("learns nothing from a SOLD_OUT that does not say every place is taken, nor from other answers", async () => {
    const { memory } = setup();
    for (const outcome of [SOLD_OUT, ALREADY_ISSUED, undefined]) memory.heard(coupon(1), question(memory, coupon(1)), outcome);
    await settle();
    expect(answer(memory, coupon(1), "99")).toBe("ask");
  });

  it("a notice that arrives while Redis is asked wins: nothing is remembered", async () => {
    const { memory, channel } = setup();
    const q = question(memory, coupon(1));
    channel.notify(1); // the limit was raised just after Redis answered SOLD_OUT
    soldOutInRedis(memory, coupon(1), q);
    await settle();
    expect(answer(memory, coupon(1), "99")).toBe("ask");
  });

  it("a notice that arrives while the holders are read wins too", async () => {
    const { memory, channel, holdReads } = setup();
    const release = holdReads();
    soldOutInRedis(memory, coupon(1));
    channel.notify(1);
    release();
    await settle();
    expect(answer(memory, coupon(1), "99")).toBe("ask");
  });

  it("a notice for another coupon does not stop learning this one", async () => {
    const { memory, channel } = setup();
    const q = question(memory, coupon(1));
    channel.notify(2);
    soldOutInRedis(memory, coupon(1), q);
    await settle();
    expect(answer(memory, coupon(1), "99")).toBe("sold-out");
  });

  it("a notice drops the coupon; a gap drops every coupon and stops what is being learned", async () => {
    const { memory, channel, counts, holdReads } = setup();
    for (const id of [1, 2, 3]) soldOutInRedis(memory, coupon(id));
    await settle();
    channel.notify(1);
    expect(answer(memory, coupon(1), "99")).toBe("ask");
    expect(answer(memory, coupon(2), "99")).toBe("sold-out");
    const release = holdReads();
    soldOutInRedis(memory, coupon(4));
    channel.notify(undefined);
    release();
    await settle();
    for (const id of [2, 3, 4]) expect(answer(memory, coupon(id), "99")).toBe("ask");
    expect([counts.notice, counts.gap]).toEqual([1, 2]);
  });

  it("while the channel is unhealthy it trusts nothing and learns nothing, and keeps what it knew", async () => {
    const { memory, channel, counts } = setup();
    soldOutInRedis(memory, coupon(1));
    await settle();
    channel.healthy = false;
    expect(answer(memory, coupon(1), "99")).toBe("ask");
    expect(counts.untrusted).toBe(1);
    soldOutInRedis(memory, coupon(2));
    await settle();
    channel.healthy = true;
    expect(answer(memory, coupon(1), "99")).toBe("sold-out");
    expect(answer(memory, coupon(2), "99")).toBe("ask");
  });

  it("is bounded in coupons, least recently asked about first", async () => {
    const { memory } = setup({ maxCoupons: 3 });
    for (const id of [1, 2, 3]) soldOutInRedis(memory, coupon(id));
    await settle();
    answer(memory, coupon(1), "99");
    soldOutInRedis(memory, coupon(4));
    await settle();
    expect([1, 2, 3, 4].map((id) => answer(memory, coupon(id), "99"))).toEqual(["sold-out", "ask", "sold-out", "sold-out"]);
  });

  it("is bounded in holders: older coupons make way, and one too large is not remembered", async () => {
    const holdersOf = new Map<number, string[]>();
    const many = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(from + i));
    holdersOf.set(1, many(1_000, 400));
    holdersOf.set(2, many(2_000, 400));
    holdersOf.set(3, many(3_000, 400));
    holdersOf.set(4, many(4_000, 1_001));
    const { memory, counts } = setup({ maxHolders: 1_000, holdersOf });
    for (const id of [1, 2, 3, 4]) {
      soldOutInRedis(memory, coupon(id));
      await settle();
    }
    expect([1, 2, 3, 4].map((id) => answer(memory, coupon(id), "99"))).toEqual(["ask", "sold-out", "sold-out", "ask"]);
    expect(counts.reads).toBe(4);
    // Too large: left alone for a while, not read again at every SOLD_OUT.
    soldOutInRedis(memory, coupon(4));
    await settle();
    expect(counts.reads).toBe(4);
  });

  describe("confirming a sale with Redis", () => {
    const TTL = 40;

    it("halfway through its time sends one request to Redis, answers the rest, and renews without reading holders again", async () => {
      const { memory, counts } = setup({ ttlMs: TTL });
      soldOutInRedis(memory, coupon(1));
      await settle();
      expect(answer(memory, coupon(1), "99")).toBe("sold-out");
      await sleep(TTL / 2);
      const confirming = question(memory, coupon(1), "98");
      expect(confirming.confirms).toBe(true);
      expect(answer(memory, coupon(1), "97")).toBe("sold-out");
      memory.heard(coupon(1), confirming, EVERY_PLACE_TAKEN);
      // Renewed from when the confirming request was sent: good for another half of its time.
      expect(answer(memory, coupon(1), "96")).toBe("sold-out");
      expect(counts.reads).toBe(1);
    });

    it("drops the sale when Redis does not confirm it, or the confirmation fails", async () => {
      for (const outcome of [{ kind: "issued" } as const, ALREADY_ISSUED, undefined]) {
        const { memory } = setup({ ttlMs: TTL });
        soldOutInRedis(memory, coupon(1));
        await settle();
        await sleep(TTL / 2);
        const confirming = question(memory, coupon(1));
        memory.heard(coupon(1), confirming, outcome);
        expect(answer(memory, coupon(1), "99")).toBe("ask");
      }
    });

    it("past its time answers only while a confirmation is in flight, and not for longer than one may take", async () => {
      const { memory } = setup({ ttlMs: TTL, confirmWithinMs: 30 });
      soldOutInRedis(memory, coupon(1));
      await settle();
      await sleep(TTL + 5);
      const confirming = question(memory, coupon(1));
      expect(confirming.confirms).toBe(true);
      expect(answer(memory, coupon(1), "99")).toBe("sold-out");
      await sleep(30);
      expect(answer(memory, coupon(1), "99")).toBe("ask");
      memory.heard(coupon(1), confirming, EVERY_PLACE_TAKEN);
      // Renewed as of when that request was sent, already halfway through again: the next one confirms once more.
      expect(question(memory, coupon(1)).confirms).toBe(true);
      expect(answer(memory, coupon(1), "99")).toBe("sold-out");
    });
  });

  it("around a strategy: answers from memory, learns only from SOLD_OUT that says every place is taken", async () => {
    const { memory } = setup();
    const answers: IssueOutcome[] = [SOLD_OUT, EVERY_PLACE_TAKEN, ALREADY_ISSUED];
    let calls = 0;
    const inner: IssuanceStrategy = {
      name: "redis-set",
      usesRedis: true,
      issue: async () => answers[calls++]!,
      status: async () => undefined,
    };
    const wrapped = memory.around(inner);
    expect(await wrapped.issue(coupon(1), "5", {})).toBe(SOLD_OUT); // PostgreSQL refused: not remembered
    await settle();
    expect(answer(memory, coupon(1), "6")).toBe("ask");
    expect(await wrapped.issue(coupon(1), "6", {})).toBe(EVERY_PLACE_TAKEN);
    await settle();
    expect(await wrapped.issue(coupon(1), "7", {})).toBe(SOLD_OUT);
    expect(calls).toBe(2);
  });
});
