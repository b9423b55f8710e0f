import { ChannelSubscriber, type Subscription } from "./channel-subscriber";
import { duplicateForSubscribe, type RedisConnection } from "./redis-connection";

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

  constructor(readonly subscription: Subscription) {}

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
 * Release notifications over pub/sub, shared by every waiter of one lock
 * instance: a channel is subscribed while anybody waits on it. A lost
 * notification only costs a backoff interval, so subscription failures are
 * reported, not fatal.
 */
export class ReleaseNotifier {
  private readonly subscriber: ChannelSubscriber;
  private readonly channels = new Map<string, Channel>();
  private report: (err: unknown) => void;

  constructor(source: RedisConnection, onError: (err: unknown) => void) {
    this.subscriber = new ChannelSubscriber(
      () => duplicateForSubscribe(source),
      (name) => this.channels.get(name)?.wakeOne(),
      onError,
    );
    this.report = onError;
  }

  listen(name: string): ReleaseListener {
    let channel = this.channels.get(name);
    if (!channel) {
      const joined = new Channel(this.subscriber.listen(name));
      // A release between a waiter's failed try and the subscription going live went unheard.
      joined.subscription.live.then(() => joined.waiters.forEach((w) => w.nudge()), this.report);
      this.channels.set(name, (channel = joined));
    }
    const waiter = new Waiter();
    channel.waiters.add(waiter);
    const joined = channel;
    return { sleep: (ms) => waiter.sleep(ms), close: () => this.leave(name, joined, waiter) };
  }

  /** Wakes every waiter (they find the lock closed) and closes the connection. */
  async close(): Promise<void> {
    this.report = () => undefined;
    for (const channel of this.channels.values()) for (const waiter of channel.waiters) waiter.wake();
    this.channels.clear();
    this.subscriber.close();
  }

  private leave(name: string, channel: Channel, waiter: Waiter): void {
    channel.waiters.delete(waiter);
    if (channel.waiters.size > 0 || this.channels.get(name) !== channel) return;
    this.channels.delete(name);
    channel.subscription.close();
  }
}
