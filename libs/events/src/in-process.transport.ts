import type { EventEnvelope } from './envelope';
import type {
  BatchHandler,
  DeliveredEvent,
  EventTransport,
  SubscribeOptions,
  Subscription,
} from './transport';

type Group = { groupId: string; handler: BatchHandler; tail: Promise<void> };

/**
 * The standalone transport. It keeps nothing in memory on its own: `publish` resolves only after
 * every expected consumer group has applied the batch (its handler resolved), so the producer's
 * durable outbox keeps each event until it is really applied. A crash anywhere between the two
 * leaves the event in the outbox and it is delivered again, which is Kafka's at-least-once
 * contract without a broker. Batches for one group are applied one after another, in publish
 * order, so events of one subject keep their order.
 */
export class InProcessTransport implements EventTransport {
  readonly kind = 'in-process' as const;
  private readonly groups = new Map<string, Map<string, Group>>();
  private readonly waiters = new Map<string, Array<() => void>>();
  private offset = 0n;
  private closed = false;

  /**
   * @param expectedGroups per topic, the consumer groups that must apply an event before it counts
   *   as delivered (a group that has not subscribed yet makes publish wait, up to the timeout).
   */
  constructor(
    private readonly expectedGroups: Readonly<Record<string, readonly string[]>>,
    private readonly subscribeWaitMs = 10_000,
  ) {}

  isHealthy(): boolean {
    return !this.closed;
  }

  async publish(topic: string, events: readonly EventEnvelope[]): Promise<void> {
    if (this.closed) throw new Error('transport closed');
    if (events.length === 0) return;
    const expected = this.expectedGroups[topic] ?? [];
    const first = this.offset;
    this.offset += BigInt(events.length);
    const batch: DeliveredEvent[] = events.map((envelope, i) => ({
      envelope,
      raw: null,
      topic,
      partition: 0,
      offset: String(first + BigInt(i)),
    }));
    await Promise.all(
      expected.map(async (groupId) => {
        const group = await this.awaitGroup(topic, groupId);
        const run = group.tail.then(() => group.handler(batch));
        // The chain continues after a failure: the failed batch is reported to the publisher, who
        // keeps it and publishes it again; later batches are not held hostage.
        group.tail = run.catch(() => undefined);
        await run;
      }),
    );
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const byGroup = this.groups.get(options.topic) ?? new Map<string, Group>();
    this.groups.set(options.topic, byGroup);
    if (byGroup.has(options.groupId))
      throw new Error(`group ${options.groupId} already subscribed to ${options.topic}`);
    const group: Group = { groupId: options.groupId, handler: options.handler, tail: Promise.resolve() };
    byGroup.set(options.groupId, group);
    const key = `${options.topic}\u0000${options.groupId}`;
    for (const wake of this.waiters.get(key) ?? []) wake();
    this.waiters.delete(key);
    return {
      stop: async () => {
        if (byGroup.get(options.groupId) === group) byGroup.delete(options.groupId);
        await group.tail;
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const tails = [...this.groups.values()].flatMap((m) => [...m.values()].map((g) => g.tail));
    await Promise.all(tails);
  }

  private async awaitGroup(topic: string, groupId: string): Promise<Group> {
    const existing = this.groups.get(topic)?.get(groupId);
    if (existing) return existing;
    const key = `${topic}\u0000${groupId}`;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.waiters.get(key) ?? [];
        this.waiters.set(
          key,
          list.filter((w) => w !== wake),
        );
        reject(new Error(`consumer group ${groupId} is not subscribed to ${topic}`));
      }, this.subscribeWaitMs);
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const list = this.waiters.get(key) ?? [];
      list.push(wake);
      this.waiters.set(key, list);
    });
    const group = this.groups.get(topic)?.get(groupId);
    if (!group) throw new Error(`consumer group ${groupId} left ${topic}`);
    return group;
  }
}
