import { closeRedis, subscriberClient, type RedisClient } from "../redis/client";

/** One waiter on one channel: sleeping, or awake and trying the lock. */
class Waiter {
  /** A notification came while awake; the next sleep returns at once. */
  private pending = false;
  private wakeUp?: () => void;

  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
    });
  }

  get sleeping(): boolean {
    return this.wakeUp !== undefined;
  }

  wake(): void {
    this.wakeUp?.();
  }

  /** Wakes it, or, while it is awake, makes its next sleep return at once. */
  nudge(): void {
    if (this.sleeping) this.wake();
    else this.pending = true;
  }
}

class Channel {
  /** In arrival order, so the longest waiter is woken first. */
  readonly waiters = new Set<Waiter>();
  subscribed = false;

  /**
   * Wakes one waiter per release: one of them takes the lock and the rest
   * keep sleeping instead of stampeding Redis for a lock only one can get.
   */
  wakeOne(): void {
    const waiters = [...this.waiters];
    (waiters.find((w) => w.sleeping) ?? waiters[0])?.nudge();
  }
}

export interface ReleaseListener {
  /** Resolves after `ms`, or earlier when the lock may have been released. */
  sleep(ms: number): Promise<void>;
  close(): void;
}

/**
 * Release notifications over pub/sub: one lazily created subscriber
 * connection, shared by every waiter of one lock instance, with one channel
 * subscribed while anybody waits on it. A lost notification only costs a
 * backoff interval, so subscription failures are reported, not fatal.
 */
export class ReleaseNotifier {
  private subscriber?: RedisClient;
  private closed = false;
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly source: RedisClient,
    private readonly onError: (err: unknown) => void,
  ) {}

  listen(name: string): ReleaseListener {
    let channel = this.channels.get(name);
    if (!channel) {
      channel = new Channel();
      this.channels.set(name, channel);
      this.subscribe(name, channel);
    }
    const waiter = new Waiter();
    channel.waiters.add(waiter);
    const joined = channel;
    return { sleep: (ms) => waiter.sleep(ms), close: () => this.leave(name, joined, waiter) };
  }

  /** Wakes every waiter (they find the lock closed) and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (const channel of this.channels.values()) for (const waiter of channel.waiters) waiter.wake();
    this.channels.clear();
    if (this.subscriber) await closeRedis(this.subscriber);
  }

  private subscribe(name: string, channel: Channel): void {
    this.connection()
      .subscribe(name)
      .then(() => {
        channel.subscribed = true;
        if (this.closed) return;
        if (this.channels.get(name) !== channel) {
          // Everyone left while subscribing. A newer entry has its own SUBSCRIBE queued behind ours: keep it.
          if (!this.channels.has(name)) this.unsubscribe(name);
          return;
        }
        // A release between a waiter's failed try and this moment went unheard.
        for (const waiter of channel.waiters) waiter.nudge();
      }, this.report);
  }

  private leave(name: string, channel: Channel, waiter: Waiter): void {
    channel.waiters.delete(waiter);
    if (channel.waiters.size > 0 || this.channels.get(name) !== channel) return;
    this.channels.delete(name);
    // Still subscribing: the subscribe callback unsubscribes once it lands.
    if (channel.subscribed) this.unsubscribe(name);
  }

  private unsubscribe(name: string): void {
    this.connection().unsubscribe(name).catch(this.report);
  }

  // After close, an (un)subscribe in flight fails because of the close itself.
  private readonly report = (err: unknown): void => {
    if (!this.closed) this.onError(err);
  };

  private connection(): RedisClient {
    if (this.subscriber) return this.subscriber;
    // Failed (un)subscribes reach onError.
    const sub = subscriberClient(this.source);
    sub.on("message", (name: string) => this.channels.get(name)?.wakeOne());
    this.subscriber = sub;
    return sub;
  }
}
