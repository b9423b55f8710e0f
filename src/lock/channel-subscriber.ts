/** What the subscriber needs of a pub/sub connection (an ioredis client made for SUBSCRIBE). */
export interface PubSubConnection {
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  on(event: "message", listener: (channel: string, message: string) => void): unknown;
  disconnect(): void;
}

export interface Subscription {
  /** Resolves once messages on the channel reach `onMessage`; rejects if subscribing failed. */
  readonly live: Promise<void>;
  /** Leaves the channel; the last to leave unsubscribes. Safe to call twice. */
  close(): void;
}

interface Channel {
  listeners: number;
  readonly live: Promise<void>;
  subscribed: boolean;
}

/**
 * Many listeners, one pub/sub connection, opened on first use: a channel is
 * subscribed while anyone listens on it. The owner dispatches messages
 * (`onMessage`); this class only counts who listens where, and gets the
 * races between SUBSCRIBE and UNSUBSCRIBE in flight right.
 */
export class ChannelSubscriber {
  private connection?: PubSubConnection;
  private readonly channels = new Map<string, Channel>();
  private closed = false;

  constructor(
    private readonly open: () => PubSubConnection,
    private readonly onMessage: (channel: string, message: string) => void,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  listen(name: string): Subscription {
    if (this.closed) return { live: Promise.reject(new Error("the subscriber is closed")), close: () => undefined };
    const channel = this.channels.get(name) ?? this.subscribe(name);
    channel.listeners++;
    let left = false;
    return {
      live: channel.live,
      close: () => {
        if (left) return;
        left = true;
        this.leave(name, channel);
      },
    };
  }

  /** Whether `name` is subscribed right now (its SUBSCRIBE was acknowledged and no one has left it since). */
  isLive(name: string): boolean {
    return this.channels.get(name)?.subscribed === true;
  }

  close(): void {
    this.closed = true;
    this.channels.clear();
    this.connection?.disconnect();
    this.connection = undefined;
  }

  private subscribe(name: string): Channel {
    const channel: Channel = {
      listeners: 0,
      subscribed: false,
      live: this.conn()
        .subscribe(name)
        .then(() => {
          channel.subscribed = true;
          // Everyone left while subscribing. A newer entry has its own SUBSCRIBE queued behind ours: keep it.
          if (!this.closed && !this.channels.has(name)) this.unsubscribe(name);
        }),
    };
    // The listeners see the failure through `live`; the next listener tries afresh.
    channel.live.catch(() => this.channels.get(name) === channel && this.channels.delete(name));
    this.channels.set(name, channel);
    return channel;
  }

  private leave(name: string, channel: Channel): void {
    if (--channel.listeners > 0 || this.channels.get(name) !== channel) return;
    this.channels.delete(name);
    // Still subscribing: the subscribe callback unsubscribes once it lands.
    if (channel.subscribed) this.unsubscribe(name);
  }

  private unsubscribe(name: string): void {
    this.connection?.unsubscribe(name).catch((err) => !this.closed && this.onError(err));
  }

  private conn(): PubSubConnection {
    if (!this.connection) {
      this.connection = this.open();
      this.connection.on("message", (channel, message) => this.onMessage(channel, message));
    }
    return this.connection;
  }
}
