import { unavailable } from "../errors";

/**
 * Classifies errors from pg, or from Prisma wrapping pg (Prisma 7 keeps the
 * driver's error in meta.driverAdapterError.cause), by SQLSTATE.
 */
type ErrorLike = { code?: unknown; cause?: unknown; meta?: { driverAdapterError?: { cause?: unknown } } };

function* chain(err: unknown): Generator<ErrorLike> {
  const seen = new Set<unknown>();
  const stack = [err];
  while (stack.length) {
    const e = stack.pop();
    if (!e || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const el = e as ErrorLike;
    yield el;
    stack.push(el.cause, el.meta?.driverAdapterError?.cause, el.meta?.driverAdapterError);
  }
}

function hasCode(err: unknown, test: (code: string) => boolean): boolean {
  for (const e of chain(err)) {
    const c = (e as { originalCode?: unknown }).originalCode ?? e.code;
    if (typeof c === "string" && test(c)) return true;
  }
  return false;
}

export const isUniqueViolation = (err: unknown) => hasCode(err, (c) => c === "23505" || c === "P2002");
export const isCheckViolation = (err: unknown) => hasCode(err, (c) => c === "23514");

/**
 * Runs a database call; constraint violations pass through, anything else is
 * UNAVAILABLE, marked maybeCommitted when the statement may have run.
 */
export async function orUnavailable<T>(call: Promise<T>, maybeCommitted = false): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (isUniqueViolation(err) || isCheckViolation(err)) throw err;
    throw unavailable("PostgreSQL", err, maybeCommitted);
  }
}
