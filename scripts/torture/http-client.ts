import { Agent, request } from "node:http";

/** What a request came back with: an HTTP status and the problem `code` (or status word), or no answer at all. */
export interface Reply {
  /** 0: no answer (socket error or timeout). */
  status: number;
  /** The problem+json `code`; ISSUED / PENDING for 201 / 202; "no answer" when status is 0. */
  code: string;
  /** The socket error or "timeout", for a request with no answer. */
  error?: string;
  /** For GET status polls: the body's `status` member. */
  bodyStatus?: string;
}

export const NO_ANSWER = "no answer";

/**
 * Keep-alive connections for one phase of the run. node:http rather than
 * fetch: with ~200 requests in flight on a 2-core machine shared with the
 * service, the client's own CPU matters, and fetch's streams cost several
 * times more per request. A fresh Clients per phase, destroyed after, so
 * no phase inherits sockets the service may have closed while idle.
 */
export class Clients {
  private readonly agent: Agent;

  constructor(maxSockets: number) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  /** Sends one request; never rejects: every failure is a Reply with status 0. */
  send(port: number, method: "GET" | "POST", path: string, body: string | undefined, timeoutMs: number, extraHeaders: Record<string, string> = {}): Promise<Reply> {
    return new Promise((resolve) => {
      let settled = false;
      const done = (reply: Reply) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(reply);
      };
      const headers: Record<string, string | number> = {
        ...extraHeaders,
        ...(body !== undefined && { "content-type": "application/json", "content-length": Buffer.byteLength(body) }),
      };
      const req = request({ host: "127.0.0.1", port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => done(parseReply(res.statusCode ?? 0, Buffer.concat(chunks).toString())));
        res.on("error", (err) => done({ status: 0, code: NO_ANSWER, error: errorName(err) }));
      });
      // A bounded wait: a request the service never answers is recorded, not waited on forever.
      const timer = setTimeout(() => {
        done({ status: 0, code: NO_ANSWER, error: "timeout" });
        req.destroy();
      }, timeoutMs);
      req.on("error", (err) => done({ status: 0, code: NO_ANSWER, error: errorName(err) }));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function parseReply(status: number, text: string): Reply {
  let body: { code?: unknown; status?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not JSON: recorded as such below.
  }
  const bodyStatus = typeof body.status === "string" ? body.status : undefined;
  if (status >= 400) return { status, code: typeof body.code === "string" ? body.code : "NO_CODE", bodyStatus };
  if (status === 201) return { status, code: "ISSUED", bodyStatus };
  if (status === 202) return { status, code: "PENDING", bodyStatus };
  return { status, code: bodyStatus ?? "OK", bodyStatus };
}

const errorName = (err: Error) => (err as NodeJS.ErrnoException).code ?? err.message;
