import { createServer, connect, type Server, type Socket } from "node:net";

/**
 * A TCP proxy the test controls, to cut a dependency off mid-sale and bring
 * it back, or to slow its replies down: `cut()` drops every connection and
 * resets new ones at once, as a host whose service died would; `restore()`
 * lets traffic through again; `delayReplies(ms)` holds what the server sends
 * back for `ms` (requests still arrive and run at once: a slow network on
 * the way back, so the client gives up on commands that did run). It keeps
 * listening throughout: giving its port up would let another socket take it.
 */
export interface TcpProxy {
  readonly port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** From now on, server-to-client bytes are delivered `ms` later (0: at once), in order. */
  delayReplies(ms: number): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let open = true;
  let delayMs = 0;
  const server: Server = createServer((client) => {
    if (!open) return void client.resetAndDestroy();
    const upstream = connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    client.pipe(upstream);
    upstream.on("data", delayedWriter(client, () => delayMs));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    port,
    async cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    async restore() {
      open = true;
    },
    delayReplies(ms) {
      delayMs = ms;
    },
    async close() {
      open = false;
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * Writes each chunk to `to` once its delay has passed, never out of order:
 * a chunk is released no earlier than the one before it, so lowering the
 * delay cannot let later bytes overtake earlier ones.
 */
function delayedWriter(to: Socket, delayMs: () => number): (chunk: Buffer) => void {
  const held: { at: number; chunk: Buffer }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const release = () => {
    timer = undefined;
    const now = Date.now();
    while (held.length && held[0]!.at <= now) if (!to.destroyed) to.write(held.shift()!.chunk);
    if (held.length) timer = setTimeout(release, held[0]!.at - now);
  };
  return (chunk) => {
    const last = held.length ? held[held.length - 1]!.at : 0;
    const at = Math.max(Date.now() + delayMs(), last);
    if (at <= Date.now() && held.length === 0) return void to.write(chunk);
    held.push({ at, chunk });
    timer ??= setTimeout(release, at - Date.now());
  };
}
