import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Pool } from "pg";
import { to as copyTo } from "pg-copy-streams";
import { busy } from "../errors";

/**
 * A coupon's winners as CSV (header `userId,issuedAt`, one row per winner in
 * issue order, times in UTC ISO 8601), written to `out` as PostgreSQL
 * produces it. COPY formats and quotes the CSV in the server and streams it
 * from one snapshot; pg-copy-streams reads the socket only as fast as `out`
 * drains, so a slow reader holds back PostgreSQL, not this process's memory,
 * which stays flat at any size (the README gives the figure for a million).
 *
 * The connection comes from the export pool; if every one is busy the
 * answer is 503 BUSY before anything is written. A reader who goes away
 * mid-stream ends the COPY: the connection is dropped, not reused.
 */
export async function exportWinnersCsv(pool: Pool, couponId: number, out: Writable, beforeFirstByte: () => void): Promise<void> {
  // COPY takes no parameters; the id is an integer the route has validated, checked again here.
  if (!Number.isSafeInteger(couponId) || couponId < 1) throw new RangeError(`bad coupon id ${couponId}`);
  const client = await pool.connect().catch((cause) => {
    throw busy(cause);
  });
  let broken = true;
  try {
    const csv = client.query(
      copyTo(`COPY (SELECT "userId", to_char("issuedAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "issuedAt"
                      FROM "UserCoupon" WHERE "couponId" = ${couponId} ORDER BY id)
               TO STDOUT WITH (FORMAT csv, HEADER)`),
    );
    beforeFirstByte();
    await pipeline(csv, out);
    broken = false;
  } finally {
    client.release(broken);
  }
}
