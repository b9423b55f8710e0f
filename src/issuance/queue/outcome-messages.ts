/**
 * The message a worker publishes when it settles a batch, read by requests
 * waiting with `Prefer: wait`: "I:<ids>|R:<reason>:<ids>", ids comma-separated.
 */
export interface BatchOutcome {
  readonly issued: readonly string[];
  readonly rejected: readonly string[];
  readonly reason: string;
}

export function encodeOutcome(o: BatchOutcome): string {
  return `I:${o.issued.join(",")}|R:${o.reason}:${o.rejected.join(",")}`;
}

export function decodeOutcome(message: string): BatchOutcome | undefined {
  const m = /^I:([\d,]*)\|R:([A-Z_]*):([\d,]*)$/.exec(message);
  if (!m) return undefined;
  const ids = (s: string) => (s ? s.split(",") : []);
  return { issued: ids(m[1]!), reason: m[2]!, rejected: ids(m[3]!) };
}
