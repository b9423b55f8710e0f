import { request } from "../support/http";
import { createTestEnv, type TestApp, type TestEnv } from "../support/test-env";

/**
 * The winners' CSV at size: every row, in issue order, streamed. The memory
 * figure for a million rows comes from `npm run bench:export` (the README).
 */
let env: TestEnv;
let app: TestApp;

beforeAll(async () => {
  env = await createTestEnv({ EXPORT_CONNECTIONS: "1" });
  app = await env.startApp();
});
afterAll(() => env?.dispose());

const ROWS = 250_000;
/** The userId of the g-th winner: scattered, so issue order is not userId order. */
const userIdAt = (g: number) => String((g * 7919) % 10_000_019 + 1);

async function seededCoupon(rows: number): Promise<number> {
  const res = await request(`${app.url}/coupons`, { body: { name: "big sale", totalQuantity: rows, strategy: "postgres" }, operator: true });
  const id = res.body.id as number;
  await env.sql(
    `WITH ins AS (INSERT INTO "UserCoupon" ("couponId", "userId")
                  SELECT $1, (g::bigint * 7919) % 10000019 + 1 FROM generate_series(1, $2::int) g RETURNING 1)
     UPDATE "Coupon" SET "issuedCount" = (SELECT count(*) FROM ins) WHERE id = $1`,
    [id, rows],
  );
  return id;
}

const csvUrl = (id: number) => `${app.url}/coupons/${id}/issuances.csv`;
const operator = { authorization: "Bearer test-admin-token-0123456789" };

it(`exports ${ROWS.toLocaleString("en")} winners, complete and in issue order, a chunk at a time`, async () => {
  const id = await seededCoupon(ROWS);
  const res = await fetch(csvUrl(id), { headers: operator });
  expect(res.status).toBe(200);
  expect(res.headers.get("transfer-encoding")).toBe("chunked");
  const decoder = new TextDecoder();
  let carry = "";
  const lines: string[] = [];
  let chunks = 0;
  for await (const chunk of res.body!) {
    chunks++;
    const parts = (carry + decoder.decode(chunk, { stream: true })).split("\n");
    carry = parts.pop()!;
    lines.push(...parts);
  }
  expect(carry).toBe("");
  expect(chunks).toBeGreaterThan(10);
  expect(lines.length).toBe(ROWS + 1);
  expect(lines[0]).toBe("userId,issuedAt");
  expect(lines[1]).toMatch(new RegExp(`^${userIdAt(1)},\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$`));
  expect(lines[ROWS]!.split(",")[0]).toBe(userIdAt(ROWS));
  const outOfOrder = lines.slice(1).findIndex((l, i) => l.slice(0, l.indexOf(",")) !== userIdAt(i + 1));
  expect(outOfOrder).toBe(-1);
});

it("a reader who goes away mid-export frees the connection for the next export", async () => {
  const id = await seededCoupon(100_000);
  // One export connection (EXPORT_CONNECTIONS=1): if the abandoned COPY kept it, the next export would be 503 BUSY.
  const abort = new AbortController();
  const res = await fetch(csvUrl(id), { headers: operator, signal: abort.signal });
  const reader = res.body!.getReader();
  await reader.read();
  abort.abort();
  await reader.closed.catch(() => undefined);

  const deadline = Date.now() + 10_000;
  let next = await request(csvUrl(id), { operator: true });
  while (next.status === 503 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    next = await request(csvUrl(id), { operator: true });
  }
  expect(next.status).toBe(200);
  expect((next.body as string).trimEnd().split("\n").length).toBe(100_001);
  const copies = await env.sql(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY%' AND state = 'active'`);
  expect(copies).toEqual([]);
});
