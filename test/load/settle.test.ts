import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Recorder } from "../../scripts/load/recorder";
import { settlePending } from "../../scripts/load/settle";

/**
 * A stand-in for the queue strategy's status route: user 1 is issued after
 * two polls, 2 is rejected, 3 stays pending forever, 4 is unknown (404).
 */
function fakeService(): Promise<{ server: Server; url: string; polls: Map<string, number> }> {
  const polls = new Map<string, number>();
  const server = createServer((req, res) => {
    const userId = /^\/coupons\/7\/issuances\/(\d+)$/.exec(req.url ?? "")?.[1] ?? "";
    const n = (polls.get(userId) ?? 0) + 1;
    polls.set(userId, n);
    const reply = (status: number, body: object) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (userId === "1") return reply(200, { status: n > 2 ? "ISSUED" : "PENDING" });
    if (userId === "2") return reply(200, { status: "REJECTED" });
    if (userId === "3") return reply(200, { status: "PENDING" });
    reply(404, { code: "NOT_REQUESTED" });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, polls })),
  );
}

describe("settlePending", () => {
  it("polls each 202 until it resolves, and gives up on the rest at the deadline", async () => {
    const { server, url, polls } = await fakeService();
    try {
      const recorder = new Recorder();
      for (const id of ["1", "2", "3", "4"]) {
        recorder.onSent(id);
        recorder.onAnswer(id, 202, "{}");
      }
      recorder.onSent("5");
      recorder.onAnswer("5", 201, "{}"); // never polled: it already knows

      const started = Date.now();
      const unresolved = await settlePending(url, 7, recorder, 1_500);

      expect(unresolved).toBe(1);
      expect(Date.now() - started).toBeLessThan(3_000);
      const resolved = (id: string) => recorder.answers.get(id)?.resolved;
      expect([resolved("1"), resolved("2"), resolved("3"), resolved("4")]).toEqual(["ISSUED", "REJECTED", "PENDING", "NOT_REQUESTED"]);
      expect(polls.get("1")).toBe(3);
      expect(polls.get("2")).toBe(1);
      expect(polls.has("5")).toBe(false);
    } finally {
      server.close();
    }
  });
});
