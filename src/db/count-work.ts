import type { ClientBase } from "pg";

/** Told of each statement a client sends and each transaction PostgreSQL counts for it. */
export interface WorkCounts {
  statement(): void;
  transaction(): void;
}

const OPENS = /^\s*(BEGIN|START\s+TRANSACTION)\b/i;
// ROLLBACK TO SAVEPOINT stays inside the transaction.
const CLOSES = /^\s*(COMMIT|END|ABORT|ROLLBACK)\b(?!\s+TO\b)/i;

/**
 * Counts what `client` sends, whoever sends it (Prisma's adapter and the
 * ledger alike), so what a request costs PostgreSQL can be read off counters
 * the moment it is done. Transactions as pg_stat_database counts them
 * (xact_commit + xact_rollback): one for the connection's start-up, one per
 * statement outside BEGIN … COMMIT, one per such block. That view itself is
 * no use per request: a backend publishes its counts there seconds, or only
 * at disconnect, later.
 */
export function countWork(client: ClientBase, counts: WorkCounts): void {
  counts.transaction(); // the start-up, which has just run
  let inBlock = false;
  const send = client.query as (...args: unknown[]) => unknown;
  client.query = function (this: ClientBase, ...args: unknown[]) {
    const first = args[0] as string | { text?: string } | undefined;
    const text = (typeof first === "string" ? first : first?.text) ?? "";
    if (OPENS.test(text)) {
      inBlock = true;
      counts.transaction();
    } else if (CLOSES.test(text)) {
      inBlock = false;
    } else if (!inBlock) {
      counts.transaction();
    }
    counts.statement();
    return send.apply(this, args);
  } as ClientBase["query"];
}
