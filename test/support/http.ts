import { ADMIN_TOKEN } from "./test-env";

export interface Reply<T = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** A real HTTP request; the body is parsed as JSON when it is JSON. */
export async function request<T = any>(
  url: string,
  init: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; operator?: boolean } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.operator) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
  let payload: string | undefined = init.rawBody;
  if (init.body !== undefined) {
    payload = JSON.stringify(init.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(url, { method: init.method ?? (payload === undefined ? "GET" : "POST"), headers, body: payload });
  // An event stream (the dashboard's) never ends: its status and headers are the whole answer.
  if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
    await res.body?.cancel();
    return { status: res.status, headers: res.headers, body: "" as T };
  }
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  return { status: res.status, headers: res.headers, body: /json/.test(type) && text ? JSON.parse(text) : text };
}

export async function createCoupon(
  baseUrl: string,
  input: { totalQuantity: number; strategy?: string; name?: string; startsAt?: string; endsAt?: string },
): Promise<{ id: number }> {
  const res = await request(`${baseUrl}/coupons`, { body: { name: "test coupon", ...input }, operator: true });
  if (res.status !== 201) throw new Error(`create coupon: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Runs `jobs` with at most `concurrency` in flight; results in job order. */
export async function inFlight<T>(jobs: readonly (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return results;
}
