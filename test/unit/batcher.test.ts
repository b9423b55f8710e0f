import { BatcherClosedError, BatcherFullError, KeyedBatcher, type Flush } from "../../src/issuance/batcher";

/** A flush that records its batches and answers each only when the test says so. */
function gate<K, T>() {
  const calls: { key: K; items: T[]; finish(err?: Error): void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const flush: Flush<K, T, string> = (key, items) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise((resolve, reject) => {
      calls.push({
        key,
        items: [...items],
        finish: (err) => {
          inFlight--;
          if (err) reject(err);
          else resolve(items.map((i) => `done:${String(i)}`));
        },
      });
    });
  };
  return { calls, flush, maxInFlight: () => maxInFlight };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("KeyedBatcher", () => {
  it("flushes a key's items in the order added, one flush in flight, the rest in the next batch", async () => {
    const g = gate<string, number>();
    const b = new KeyedBatcher(g.flush, { maxBatch: 100, maxQueued: 1_000 });
    const first = b.add("a", 1);
    await tick();
    const later = [2, 3, 4].map((i) => b.add("a", i));
    await tick();
    expect(g.calls.map((c) => c.items)).toEqual([[1]]); // 2..4 wait for the write in flight
    g.calls[0]!.finish();
    await expect(first).resolves.toBe("done:1");
    await tick();
    expect(g.calls.map((c) => c.items)).toEqual([[1], [2, 3, 4]]);
    g.calls[1]!.finish();
    await expect(Promise.all(later)).resolves.toEqual(["done:2", "done:3", "done:4"]);
    expect(g.maxInFlight()).toBe(1);
  });

  it("puts items added in the same tick in one batch", async () => {
    const g = gate<string, number>();
    const b = new KeyedBatcher(g.flush, { maxBatch: 100, maxQueued: 1_000 });
    const all = Promise.all([1, 2, 3].map((i) => b.add("a", i)));
    await tick();
    expect(g.calls.map((c) => c.items)).toEqual([[1, 2, 3]]);
    g.calls[0]!.finish();
    await expect(all).resolves.toEqual(["done:1", "done:2", "done:3"]);
  });

  it("caps a batch at maxBatch, keeping the order across batches", async () => {
    const g = gate<string, number>();
    const b = new KeyedBatcher(g.flush, { maxBatch: 2, maxQueued: 1_000 });
    const all = Promise.all([1, 2, 3, 4, 5].map((i) => b.add("a", i)));
    for (let i = 0; i < 3; i++) {
      await tick();
      g.calls[i]!.finish();
    }
    await expect(all).resolves.toHaveLength(5);
    expect(g.calls.map((c) => c.items)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("flushes different keys side by side, each with its own items", async () => {
    const g = gate<string, number>();
    const b = new KeyedBatcher(g.flush, { maxBatch: 100, maxQueued: 1_000 });
    const a = b.add("a", 1);
    const c = b.add("c", 2);
    await tick();
    expect(g.calls.map((x) => [x.key, x.items])).toEqual([["a", [1]], ["c", [2]]]);
    expect(g.maxInFlight()).toBe(2);
    g.calls[1]!.finish();
    g.calls[0]!.finish();
    await expect(Promise.all([a, c])).resolves.toEqual(["done:1", "done:2"]);
  });

  it("rejects only the failing flush's own batch; later items of the key are flushed as usual", async () => {
    const g = gate<string, number>();
    const b = new KeyedBatcher(g.flush, { maxBatch: 100, maxQueued: 1_000 });
    const failing = [b.add("a", 1), b.add("a", 2)];
    const other = b.add("b", 9);
    await tick();
    const next = b.add("a", 3);
    g.calls[0]!.finish(new Error("write failed"));
    for (const p of failing) await expect(p).rejects.toThrow("write failed");
    await tick();
    g.calls[1]!.finish();
    g.calls[2]!.finish();
    await expect(other).resolves.toBe("done:9");
    await expect(next).resolves.toBe("done:3");
  });

  it("rejects a batch whose flush answers the wrong number of results", async () => {
    const b = new KeyedBatcher<string, number, string>(async () => ["only one"], { maxBatch: 100, maxQueued: 1_000 });
    const both = [b.add("a", 1), b.add("a", 2)];
    for (const p of both) await expect(p).rejects.toThrow("a flush of 2 items answered 1 results");
  });

  it("on close, flushes everything already added, then refuses new items", async () => {
    const flushed: number[][] = [];
    const b = new KeyedBatcher<string, number, number>(
      async (_key, items) => {
        await new Promise((r) => setTimeout(r, 5));
        flushed.push([...items]);
        return items;
      },
      { maxBatch: 2, maxQueued: 1_000 },
    );
    const added = [1, 2, 3, 4, 5].map((i) => b.add(i % 2 ? "odd" : "even", i));
    await b.close();
    expect(flushed.flat().sort()).toEqual([1, 2, 3, 4, 5]);
    await expect(Promise.all(added)).resolves.toEqual([1, 2, 3, 4, 5]);
    expect(b.activeKeys).toBe(0);
    await expect(b.add("odd", 7)).rejects.toBeInstanceOf(BatcherClosedError);
  });

  it("holds at most maxQueued waiting items, and forgets every key once it is drained", async () => {
    const g = gate<number, number>();
    const b = new KeyedBatcher(g.flush, { maxBatch: 10, maxQueued: 3 });
    const accepted = [b.add(1, 1), b.add(2, 2), b.add(3, 3)];
    const refused = b.add(4, 4);
    expect(b.size).toBe(3);
    await expect(refused).rejects.toBeInstanceOf(BatcherFullError);
    await tick(); // all three are flushing now, so room again
    expect(b.size).toBe(0);
    const more = b.add(4, 4);
    await tick();
    for (const c of g.calls) c.finish();
    await Promise.all([...accepted, more]);

    // Thousands of keys come and go; none is kept once its work is done.
    const many = new KeyedBatcher<number, number, number>(async (_k, items) => items, { maxBatch: 10, maxQueued: 100_000 });
    await Promise.all(Array.from({ length: 5_000 }, (_, i) => many.add(i, i)));
    await many.settled();
    expect(many.activeKeys).toBe(0);
    expect(many.size).toBe(0);
  });
});
