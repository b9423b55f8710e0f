import { ChannelSubscriber, type PubSubConnection } from "../../src/lock/channel-subscriber";

/** A pub/sub connection whose SUBSCRIBE replies the test releases by hand, and which logs what it was sent. */
class ScriptedConnection implements PubSubConnection {
  readonly sent: string[] = [];
  readonly pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  disconnected = false;
  private listener?: (channel: string, message: string) => void;

  subscribe(channel: string) {
    this.sent.push(`SUBSCRIBE ${channel}`);
    return new Promise<void>((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  unsubscribe(channel: string) {
    this.sent.push(`UNSUBSCRIBE ${channel}`);
    return Promise.resolve();
  }
  on(_event: "message", listener: (channel: string, message: string) => void) {
    this.listener = listener;
  }
  disconnect() {
    this.disconnected = true;
  }
  publish(channel: string, message: string) {
    this.listener?.(channel, message);
  }
  ackNext() {
    this.pending.shift()!.resolve();
  }
}

const flush = () => new Promise((r) => setImmediate(r));

function setup() {
  const connections: ScriptedConnection[] = [];
  const messages: [string, string][] = [];
  const subscriber = new ChannelSubscriber(
    () => {
      const c = new ScriptedConnection();
      connections.push(c);
      return c;
    },
    (channel, message) => messages.push([channel, message]),
  );
  return { subscriber, connections, messages };
}

describe("ChannelSubscriber", () => {
  it("opens one connection on first use and shares one SUBSCRIBE among listeners of a channel", async () => {
    const { subscriber, connections, messages } = setup();
    expect(connections).toHaveLength(0);
    const a = subscriber.listen("c1");
    const b = subscriber.listen("c1");
    const conn = connections[0]!;
    conn.ackNext();
    await Promise.all([a.live, b.live]);
    expect(connections).toHaveLength(1);
    expect(conn.sent).toEqual(["SUBSCRIBE c1"]);
    expect(subscriber.isLive("c1")).toBe(true);
    conn.publish("c1", "hello");
    expect(messages).toEqual([["c1", "hello"]]);
  });

  it("unsubscribes once, when the last listener leaves", async () => {
    const { subscriber, connections } = setup();
    const a = subscriber.listen("c1");
    const b = subscriber.listen("c1");
    connections[0]!.ackNext();
    await a.live;
    a.close();
    a.close();
    expect(connections[0]!.sent).toEqual(["SUBSCRIBE c1"]);
    b.close();
    expect(connections[0]!.sent).toEqual(["SUBSCRIBE c1", "UNSUBSCRIBE c1"]);
    expect(subscriber.isLive("c1")).toBe(false);
  });

  it("unsubscribes after the SUBSCRIBE lands when everyone left while it was in flight", async () => {
    const { subscriber, connections } = setup();
    const a = subscriber.listen("c1");
    a.close();
    expect(connections[0]!.sent).toEqual(["SUBSCRIBE c1"]);
    connections[0]!.ackNext();
    await flush();
    expect(connections[0]!.sent).toEqual(["SUBSCRIBE c1", "UNSUBSCRIBE c1"]);
  });

  it("keeps the channel when a newcomer subscribed again before the abandoned SUBSCRIBE landed", async () => {
    const { subscriber, connections } = setup();
    subscriber.listen("c1").close();
    const b = subscriber.listen("c1");
    const conn = connections[0]!;
    conn.ackNext();
    conn.ackNext();
    await b.live;
    await flush();
    expect(conn.sent).toEqual(["SUBSCRIBE c1", "SUBSCRIBE c1"]);
    expect(subscriber.isLive("c1")).toBe(true);
  });

  it("rejects the listeners of a failed SUBSCRIBE, and the next listener tries again", async () => {
    const { subscriber, connections } = setup();
    const a = subscriber.listen("c1");
    connections[0]!.pending.shift()!.reject(new Error("connection lost"));
    await expect(a.live).rejects.toThrow("connection lost");
    const b = subscriber.listen("c1");
    connections[0]!.ackNext();
    await expect(b.live).resolves.toBeUndefined();
    expect(connections[0]!.sent).toEqual(["SUBSCRIBE c1", "SUBSCRIBE c1"]);
  });

  it("disconnects on close and refuses new listeners", async () => {
    const { subscriber, connections } = setup();
    subscriber.listen("c1");
    subscriber.close();
    expect(connections[0]!.disconnected).toBe(true);
    await expect(subscriber.listen("c2").live).rejects.toThrow("closed");
    expect(connections).toHaveLength(1);
  });
});
