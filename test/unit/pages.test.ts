import { setTimeout as sleep } from "node:timers/promises";
import { forEachPage } from "../../src/db/pages";

async function* slowPages(n: number, log: string[]): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) {
    log.push(`fetch ${i}`);
    await sleep(10);
    yield i;
  }
}

describe("forEachPage", () => {
  it("works on a page while the next one is fetched, one page in work at a time", async () => {
    const log: string[] = [];
    await forEachPage(slowPages(3, log), async (page) => {
      log.push(`work ${page}`);
      await sleep(15);
      log.push(`done ${page}`);
    });
    expect(log).toEqual(["fetch 0", "work 0", "fetch 1", "done 0", "work 1", "fetch 2", "done 1", "work 2", "done 2"]);
  });

  it("throws a page's failure that comes while the next page is fetched", async () => {
    const run = forEachPage(slowPages(3, []), async (page) => {
      throw new Error(`write of page ${page} failed`);
    });
    await expect(run).rejects.toThrow("write of page 0 failed");
  });

  it("leaves no unhandled rejection when the next page's fetch fails too (which would end the process)", async () => {
    async function* failing(): AsyncGenerator<number> {
      yield 0;
      await sleep(10);
      throw new Error("read of page 1 failed");
    }
    // Page 0's write fails while page 1 is fetched, and then the fetch fails:
    // nobody ever awaits the write again. Jest fails a test that leaves an
    // unhandled rejection behind; Node would exit.
    const run = forEachPage(failing(), async () => {
      throw new Error("write of page 0 failed");
    });
    await expect(run).rejects.toThrow("read of page 1 failed");
    await sleep(20);
  });
});
