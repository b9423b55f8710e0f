/**
 * Reference (a), the machine's ceiling: node:http doing the issue route's
 * work minus everything ours adds. Reads the small JSON body, parses it,
 * answers 201 JSON. Run as its own process by the bench; PORT and WORKERS from env.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { serveProcesses } from "./serve-processes";

const MAX_BODY = 16 * 1024; // the service's limit, so a bad client costs the same here

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === "GET") {
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  });
  req.on("end", () => {
    let userId: unknown;
    try {
      userId = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { userId?: unknown }).userId;
    } catch {
      res.writeHead(400, { "content-type": "application/json" }).end('{"status":"bad json"}');
      return;
    }
    res.writeHead(201, { "content-type": "application/json" });
    res.end(JSON.stringify({ couponId: 0, userId: String(userId), status: "ISSUED" }));
  });
}

function start(): void {
  const server = createServer(handle);
  server.listen(Number(process.env.PORT ?? 0), "127.0.0.1");
  process.once("SIGTERM", () => {
    server.close(() => process.exit(0));
    // Keep-alive sockets would hold close() open; the bench has stopped driving by now.
    server.closeAllConnections();
  });
}

serveProcesses(start);
