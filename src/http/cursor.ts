/**
 * Opaque page cursors. A cursor is the keyset of the last item a page gave
 * out, tagged with the list it belongs to, in base64url: clients pass it
 * back untouched, and anything that does not decode to one of ours is 400.
 */
export type Cursor =
  | { readonly kind: "coupons"; readonly beforeId: number }
  | { readonly kind: "winners"; readonly afterSeq: bigint }
  | { readonly kind: "audit"; readonly beforeId: bigint }
  | { readonly kind: "holdings"; readonly beforeId: bigint };

const FORMAT = /^(c|w|a|h)([1-9][0-9]{0,18})$/;
const MAX_INT4 = 2_147_483_647n;
const MAX_INT8 = 9_223_372_036_854_775_807n;

export function encodeCursor(cursor: Cursor): string {
  const raw =
    cursor.kind === "coupons" ? `c${cursor.beforeId}` : cursor.kind === "winners" ? `w${cursor.afterSeq}` : `${cursor.kind[0]}${cursor.beforeId}`;
  return Buffer.from(raw).toString("base64url");
}

export function decodeCursor(encoded: string): Cursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(encoded)) return undefined;
  const m = FORMAT.exec(Buffer.from(encoded, "base64url").toString("latin1"));
  if (!m) return undefined;
  const key = BigInt(m[2]!);
  const cursor = ofKey(m[1]!, key);
  // base64url decoding forgives stray bits; only the one spelling we give out is a cursor.
  return cursor && encodeCursor(cursor) === encoded ? cursor : undefined;
}

function ofKey(tag: string, key: bigint): Cursor | undefined {
  if (tag === "c") return key <= MAX_INT4 ? { kind: "coupons", beforeId: Number(key) } : undefined;
  if (key > MAX_INT8) return undefined;
  if (tag === "w") return { kind: "winners", afterSeq: key };
  return tag === "a" ? { kind: "audit", beforeId: key } : { kind: "holdings", beforeId: key };
}
