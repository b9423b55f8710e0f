/**
 * Runs `work` on each page from `pages`, the work on one page overlapping
 * with fetching the next: a rebuild writes page n to Redis while page n+1 is
 * read from PostgreSQL, so the two round trips overlap instead of adding up.
 * At most one page is in work at a time, so memory stays at two pages.
 *
 * The work's promise is marked handled as soon as it exists: if it fails
 * while the next page is being fetched, nobody is awaiting it yet, and an
 * unhandled rejection would end the process. Its error is still thrown, by
 * the next await of it.
 */
export async function forEachPage<T>(pages: AsyncIterable<T>, work: (page: T) => Promise<unknown>): Promise<void> {
  let pending: Promise<unknown> = Promise.resolve();
  for await (const page of pages) {
    await pending;
    pending = work(page);
    pending.catch(() => undefined);
  }
  await pending;
}
