import { userInfo } from "node:os";
import { rethrowAsUnavailable } from "../errors";
import type { Database } from "./database";
import type { Prisma } from "./generated/client";
import { orUnavailable } from "./pg-errors";

/** Who acted, and in which request: "token:<sha256 prefix>" or "jwt:<sub>", and the request's X-Request-Id. */
export interface Actor {
  readonly actor: string;
  readonly requestId: string;
}

/** An operator at this host's command line (npm run reconcile): "cli:<OS user>", the request id naming the tool and process. */
export function cliActor(tool: string): Actor {
  return { actor: `cli:${userInfo().username}`.slice(0, 220), requestId: `${tool}-${process.pid}-${Date.now().toString(36)}` };
}

/** What an operator did to a coupon, with the state before and after (plain JSON; null where there is none). */
export interface AuditChange {
  readonly couponId: number;
  /** e.g. create, limit, reconcile. */
  readonly action: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface AuditEntry extends AuditChange {
  readonly id: string;
  readonly actor: string;
  readonly requestId: string;
  readonly at: Date;
}

/** Prisma's client, or the transaction of the change being recorded. */
export type Tx = Prisma.TransactionClient;

/**
 * The audit trail of operator actions. To record a change in the same
 * commit as the change itself, make the change inside `transaction` and
 * pass its `tx` to `record`; then the entry exists exactly when the change
 * does. A change outside PostgreSQL (a Redis repair) is recorded after it.
 */
export class AuditLog {
  constructor(private readonly db: Database) {}

  /** Runs `work` in one transaction; AppErrors from inside pass through, other failures are UNAVAILABLE. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.prisma.$transaction(work).catch(rethrowAsUnavailable("PostgreSQL"));
  }

  async record(who: Actor, change: AuditChange, tx: Tx = this.db.prisma): Promise<void> {
    await orUnavailable(
      tx.auditEntry.create({
        data: {
          couponId: change.couponId,
          action: change.action,
          actor: who.actor,
          requestId: who.requestId,
          before: json(change.before),
          after: json(change.after),
        },
      }),
    );
  }

  /** A coupon's entries newest first: up to `limit`, older than entry `beforeId` when given. */
  async page(couponId: number, limit: number, beforeId?: bigint): Promise<AuditEntry[]> {
    const rows = await orUnavailable(
      this.db.prisma.auditEntry.findMany({
        where: { couponId, ...(beforeId !== undefined && { id: { lt: beforeId } }) },
        orderBy: { id: "desc" },
        take: limit,
      }),
    );
    return rows.map((r) => ({ ...r, id: r.id.toString(), before: r.before, after: r.after }));
  }
}

/** Dates become ISO strings, as in the API; null and undefined become SQL NULL. */
const json = (value: unknown): Prisma.InputJsonValue | undefined =>
  value === null || value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue);
