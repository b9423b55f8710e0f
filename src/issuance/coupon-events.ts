import { Cluster, Redis, type RedisOptions } from "ioredis";
import { ChangeNotices } from "../coupon-store/change-notices";
import { closeRedis, type RedisClient } from "../redis/client";

/**
 * Told a coupon's id when something that can free or add a place happened to
 * it; told `undefined` when notices may have been missed (the listening
 * connection dropped), so everything known about every coupon must go.
 */
export type ChangeListener = (couponId: number | undefined) => void;

export interface CouponEventsOptions {
  /**
   * The channel counts as healthy only while a beat this process sent at
   * most this long ago has come back through it. That bounds how late a
   * notice can be: one published before such a beat was delivered before it.
   */
  readonly staleMs: number;
  /** Where to listen, if not the client's own server (e.g. a replica of it); tests route it through a proxy. */
  readonly listenUrl?: string;
}

/** Reconnect attempts to one cluster node before listening on another. */
const NODE_ATTEMPTS = 3;
/**
 * Beats go out every quarter of the stale bound, and at least every 250 ms
 * whatever the bound: often enough that a starved event loop rarely lets
 * the proof lapse, and that a flush (seen in a beat's epoch) is noticed
 * within about 250 ms; each costs Redis three commands (the script, a GET
 * and the PUBLISH).
 */
const BEAT_EVERY_MS = 250;
/** Beats in flight at most; past that they count as lost. */
const MAX_UNHEARD = 64;
/** Beats are sent only while someone relied on `healthy` this recently, so an idle process costs Redis nothing. */
const IDLE_MS = 5_000;

/**
 * "This coupon changed, drop what you know about it", across processes,
 * over Redis pub/sub. Changes are published inside the Lua scripts that make
 * them (see coupon-store/change-notices.ts), so no change goes unannounced
 * between the change and its notice; `publish` is for changes made outside Lua.
 *
 * Plain PUBLISH, not SPUBLISH: one channel for every coupon, heard through a
 * single connection per process. On Redis Cluster a PUBLISH reaches every
 * node over the cluster bus, so listening on any one node hears every
 * coupon, whichever node runs the script. Sharded channels would need a
 * connection per shard and a subscription per coupon; notices are rare (per
 * change, never per request), so the broadcast costs little.
 *
 * Health is proven, not assumed: the process publishes numbered beats on a
 * channel of its own and listens for them on the same connection as the
 * notices. Messages on one connection arrive in publish order, so a beat
 * heard means every notice published before that beat was sent has arrived.
 * A dropped connection (or a beat that never came back) is a gap: listeners
 * are told to forget everything, since notices may have been lost in it.
 * So is a new epoch in a beat: Redis lost its data (a flush announces
 * nothing), so what was learned from it is void.
 */
export class CouponEvents {
  private readonly notices: ChangeNotices;
  private readonly listeners = new Set<ChangeListener>();
  private subscriber: Redis | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** performance.now() at which each beat still unheard was sent, by number. */
  private readonly beats = new Map<number, number>();
  private nextBeat = 1;
  /** The number of the last beat heard since the last gap. */
  private lastHeard: number | undefined;
  /** When the newest beat heard was sent; -Infinity after a gap. */
  private freshAt = -Infinity;
  /** The epoch of Redis's data the last beat carried. */
  private epoch: string | undefined;
  private askedAt = -Infinity;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: CouponEventsOptions,
  ) {
    this.notices = new ChangeNotices(redis);
  }

  /** Starts listening and beating. Publishing works without it. */
  start(): void {
    if (this.subscriber || this.closed) return;
    this.listen();
    this.timer = setInterval(() => this.beat(), Math.max(1, Math.min(BEAT_EVERY_MS, Math.floor(this.options.staleMs / 4))));
    this.timer.unref();
  }

  /**
   * Subscribed, with a beat sent at most `staleMs` ago heard back, and no gap
   * since. While false, what was learned from notices must not be trusted.
   */
  get healthy(): boolean {
    const now = performance.now();
    this.askedAt = now;
    const fresh = now - this.freshAt <= this.options.staleMs;
    // After an idle spell nobody beat: prove the channel now rather than at the next tick.
    if (!fresh && this.beats.size === 0) this.beat();
    return fresh;
  }

  /** Calls `listener` for every notice and gap; returns the function that stops it. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Announces a change made outside Lua (a plain SADD, say); resolves once Redis took it. */
  publish(couponId: number): Promise<void> {
    return this.notices.announce(couponId);
  }

  /** The channel notices are published on (key prefix included). */
  get channel(): string {
    return this.notices.channel;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const sub = this.subscriber;
    this.subscriber = undefined;
    if (sub) await closeRedis(sub);
  }

  private listen(): void {
    if (this.closed || this.subscriber) return;
    const sub = this.connection();
    // A cluster that has not found its nodes yet: try again shortly.
    if (!sub) return void setTimeout(() => this.listen(), 100).unref();
    this.subscriber = sub;
    sub.on("error", () => undefined);
    sub.on("message", (channel: string, message: string) => {
      if (channel === this.notices.beatChannel) this.heard(message);
      else this.changed(message);
    });
    // Whatever was published while the connection was down is lost to us.
    sub.on("close", () => this.gap());
    sub.on("end", () => {
      // A cluster node that stayed away: listen on another one.
      if (this.subscriber !== sub || this.closed) return;
      this.subscriber = undefined;
      setTimeout(() => this.listen(), 100).unref();
    });
    // ioredis subscribes again by itself after every reconnect; the next beat heard proves it did.
    sub.subscribe(this.notices.channel, this.notices.beatChannel).catch(() => undefined);
  }

  /** A connection of our own, whose drops we see (a Cluster hides those of its subscriber). */
  private connection(): Redis | undefined {
    const own: RedisOptions = {
      connectionName: "coupon-events",
      keyPrefix: undefined,
      // SUBSCRIBE waits for the connection instead of failing at once.
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      autoResubscribe: true,
    };
    if (this.options.listenUrl) return new Redis(this.options.listenUrl, { ...own, retryStrategy: retryForever });
    if (!(this.redis instanceof Cluster)) return this.redis.duplicate({ ...own, retryStrategy: retryForever });
    const nodes = this.redis.nodes("all");
    const node = nodes[Math.floor(Math.random() * nodes.length)];
    const giveUp: RedisOptions = { ...own, retryStrategy: (times: number) => (times > NODE_ATTEMPTS ? null : retryForever(times)) };
    return node?.duplicate(giveUp);
  }

  private beat(): void {
    if (this.closed || !this.subscriber) return;
    if (performance.now() - this.askedAt > IDLE_MS) return;
    // So many unheard that they are lost, not late (a cluster bus link can drop messages): start afresh.
    if (this.beats.size >= MAX_UNHEARD) {
      this.beats.clear();
      this.gap();
    }
    const n = this.nextBeat++;
    this.beats.set(n, performance.now());
    // Not sent, or sent with its answer lost: if it never comes back, a later beat's number shows the gap.
    this.notices.beat(n).catch(() => this.beats.delete(n));
  }

  private heard(message: string): void {
    const [number, epoch] = message.split(":");
    const n = Number(number);
    const sentAt = this.beats.get(n);
    if (sentAt === undefined) return;
    if (this.epoch !== undefined && epoch !== this.epoch) this.gap();
    this.epoch = epoch;
    // A beat lost on the way (never a reordering: one connection keeps publish order) may hide lost notices.
    if (this.lastHeard !== undefined && n !== this.lastHeard + 1 && [...this.beats.keys()].some((k) => k < n)) this.gap();
    for (const k of this.beats.keys()) if (k <= n) this.beats.delete(k);
    this.lastHeard = n;
    this.freshAt = sentAt;
  }

  private changed(message: string): void {
    const couponId = Number(message);
    if (Number.isSafeInteger(couponId) && couponId > 0) this.emit(couponId);
  }

  private gap(): void {
    this.freshAt = -Infinity;
    this.lastHeard = undefined;
    this.emit(undefined);
  }

  private emit(couponId: number | undefined): void {
    for (const listener of this.listeners) listener(couponId);
  }
}

const retryForever = (times: number) => Math.min(50 * 2 ** times, 1_000);
