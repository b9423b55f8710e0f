import { createServer, connect, type Server, type Socket } from "node:net";

/**
 * A TCP proxy the caller controls, to cut a dependency off mid-sale and bring
 * it back: `cut()` drops every connection and resets new ones at once, as a
 * host whose service died would; `restore()` lets traffic through again. It
 * keeps listening throughout: giving its port up would let another socket
 * take it.
 *
 * `delayReplies(ms)` holds back what the server sends to its clients (the
 * request direction is untouched): commands reach the server and run on
 * time, their replies arrive late, as on a congested network. That is the
 * fault a client-side timeout cannot tell from "never ran".
 */
export interface TcpProxy {
  readonly port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** Delays every server→client byte by `ms` from now on (0 ends it); order is kept across changes. */
  delayReplies(ms: number): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let open = true;
  let replyDelayMs = 0;
  const server: Server = createServer((client) => {
    if (!open) return void client.resetAndDestroy();
    const upstream = connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    client.pipe(upstream);
    forwardReplies(upstream, client, () => replyDelayMs);
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
      replyDelayMs = Math.max(0, ms);
    },
    async close() {
      open = false;
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * Copies `from` to `to`, each chunk released `delay()` ms after it arrived
 * but never before the chunk ahead of it, so a delay that ends mid-stream
 * cannot reorder the replies (the stream is a protocol, not a bag of
 * packets). With no delay and nothing held, chunks pass straight through.
 */
function forwardReplies(from: Socket, to: Socket, delay: () => number): void {
  const held: { at: number; chunk: Buffer }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let lastRelease = 0;
  const release = () => {
    timer = undefined;
    const now = Date.now();
    while (held.length && held[0]!.at <= now) {
      if (!to.destroyed) to.write(held.shift()!.chunk);
      else held.shift();
    }
    if (held.length) timer = setTimeout(release, held[0]!.at - now);
  };
  from.on("data", (chunk: Buffer) => {
    const ms = delay();
    if (ms === 0 && held.length === 0) return void (to.destroyed || to.write(chunk));
    lastRelease = Math.max(Date.now() + ms, lastRelease);
    held.push({ at: lastRelease, chunk });
    timer ??= setTimeout(release, lastRelease - Date.now());
  });
  from.on("end", () => {
    // Half-close only once every held chunk is out; a destroyed socket drops them anyway.
    const finish = () => (held.length ? setTimeout(finish, 10) : to.end());
    finish();
  });
  from.on("close", () => {
    if (timer) clearTimeout(timer);
    held.length = 0;
  });
}
