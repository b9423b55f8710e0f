import type { Request } from "express";
import { z } from "zod";
import { AppError } from "../errors";

export const MAX_PAGE = 100;
const MAX_INT8 = 9_223_372_036_854_775_807n;
const DEFAULT_PAGE = 50;

/** A page request: `?limit=1..100&cursor=<from the previous page's nextCursor>`. */
export interface PageRequest {
  readonly limit: number;
  /** Items strictly older than this id. */
  readonly before: bigint | undefined;
}

const query = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, "must be an integer from 1 to 100")
    .transform(Number)
    .pipe(z.number().min(1, "must be an integer from 1 to 100").max(MAX_PAGE, "must be an integer from 1 to 100"))
    .optional(),
  cursor: z
    .string()
    .regex(/^[1-9]\d{0,18}$/, "must be a nextCursor from an earlier page")
    .transform(BigInt)
    .refine((n) => n <= MAX_INT8, "must be a nextCursor from an earlier page")
    .optional(),
});

/**
 * Reads `limit` and `cursor` from the query string (the app's own query
 * parser is off). Anything else, a parameter twice, or a bad value: 400.
 */
export function parsePage(req: Request): PageRequest {
  const at = req.url.indexOf("?");
  const params = new URLSearchParams(at < 0 ? "" : req.url.slice(at + 1));
  const given: Record<string, string> = {};
  const errors: { path: string; message: string }[] = [];
  for (const [k, v] of params) {
    if (k in given) errors.push({ path: k, message: "given more than once" });
    given[k] = v;
  }
  const parsed = query.safeParse(given);
  if (!parsed.success) errors.push(...parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })));
  if (!parsed.success || errors.length) throw new AppError("VALIDATION_FAILED", "The query string is invalid", { extra: { errors } });
  return { limit: parsed.data.limit ?? DEFAULT_PAGE, before: parsed.data.cursor };
}

/**
 * A page of items, newest first, and the cursor of the next one (null at
 * the end). `fetch` is asked for one more than the limit, so a last full
 * page does not point at an empty one.
 */
export async function page<T extends { id: bigint | string }>(
  request: PageRequest,
  fetch: (limit: number, before: bigint | undefined) => Promise<T[]>,
): Promise<{ items: T[]; nextCursor: string | null }> {
  const rows = await fetch(request.limit + 1, request.before);
  const items = rows.slice(0, request.limit);
  return { items, nextCursor: rows.length > request.limit ? String(items[items.length - 1]!.id) : null };
}
