import type { AnswerSummary } from "./checker";

/** mulberry32: a tiny seeded PRNG, so a run's sequence of users can be replayed with --seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Draws userIds 1..users: the first `users` draws are a shuffled permutation,
 * so with at least as many requests as users every user is heard at least
 * once; later draws are uniform, so repeats race with first requests.
 */
export function userDraw(users: number, seed: number): () => string {
  const random = prng(seed);
  const order = new Uint32Array(users);
  for (let i = 0; i < users; i++) order[i] = i + 1;
  for (let i = users - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let drawn = 0;
  return () => String(drawn < users ? order[drawn++] : 1 + Math.floor(random() * users));
}

/** Every answer of the run, per user and per "status CODE". */
export class Recorder {
  readonly answers = new Map<string, AnswerSummary>();
  readonly statusCounts: Record<string, number> = {};
  sent = 0;
  received = 0;
  issued = 0;

  private user(userId: string): AnswerSummary {
    let a = this.answers.get(userId);
    if (!a) {
      a = { sent: 0, issued: 0, pending: 0, alreadyIssued: 0, soldOut: 0, serverError: 0, other: 0 };
      this.answers.set(userId, a);
    }
    return a;
  }

  onSent(userId: string): void {
    this.sent++;
    this.user(userId).sent++;
  }

  onAnswer(userId: string, status: number, body: string): void {
    this.received++;
    const a = this.user(userId);
    const code = status >= 400 ? problemCode(body) : undefined;
    let key = String(status);
    if (status === 201) {
      a.issued++;
      this.issued++;
      key += " ISSUED";
    } else if (status === 202) {
      a.pending++;
      key += " PENDING";
    } else if (status === 409 && code === "ALREADY_ISSUED") a.alreadyIssued++;
    else if (status === 409 && code === "SOLD_OUT") a.soldOut++;
    else if (status >= 500) a.serverError++;
    else a.other++;
    if (code) key += ` ${code}`;
    this.statusCounts[key] = (this.statusCounts[key] ?? 0) + 1;
  }

  /** Users whose 202 has not resolved yet, i.e. who must be polled. */
  pendingUsers(): string[] {
    const ids: string[] = [];
    for (const [id, a] of this.answers) {
      if (a.pending > 0 && a.resolved !== "ISSUED" && a.resolved !== "REJECTED") ids.push(id);
    }
    return ids;
  }

  resolve(userId: string, status: NonNullable<AnswerSummary["resolved"]>): void {
    this.user(userId).resolved = status;
  }
}

function problemCode(body: string): string {
  try {
    const code = (JSON.parse(body) as { code?: unknown }).code;
    return typeof code === "string" ? code : "NO_CODE";
  } catch {
    return "NOT_JSON";
  }
}
