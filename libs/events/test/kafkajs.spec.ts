import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Partitioners, type PartitionerArgs, type PartitionMetadata } from 'kafkajs';
import { KeyCachingPartitioner } from '../src/kafka-partitioner';

const metadata = (n: number, down: readonly number[] = []): PartitionMetadata[] =>
  Array.from({ length: n }, (_, i) => ({
    partitionErrorCode: 0,
    partitionId: i,
    leader: down.includes(i) ? -1 : 0,
    replicas: [0],
    isr: [0],
  }));

describe('KeyCachingPartitioner', () => {
  it("gives every keyed message the default partitioner's partition, however keys repeat (property)", () => {
    const key = fc.oneof(fc.constantFrom('team-a', 'team-b', ''), fc.string(), fc.uuid());
    const call = fc.record({
      topic: fc.constantFrom('sluice.usage', 'sluice.admin'),
      partitions: fc.integer({ min: 1, max: 12 }),
      key,
    });
    fc.assert(
      fc.property(fc.array(call, { maxLength: 60 }), (calls) => {
        const cached = KeyCachingPartitioner();
        const reference = Partitioners.DefaultPartitioner();
        for (const c of calls) {
          const args: PartitionerArgs = {
            topic: c.topic,
            partitionMetadata: metadata(c.partitions),
            message: { key: c.key, value: 'v' },
          };
          assert.equal(cached(args), reference(args));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('leaves an explicit partition and unkeyed messages to the default', () => {
    const cached = KeyCachingPartitioner();
    const partitionMetadata = metadata(4);
    assert.equal(
      cached({ topic: 't', partitionMetadata, message: { key: 'k', value: 'v', partition: 3 } }),
      3,
    );
    // Unkeyed: round robin over the available partitions (never the one that is down).
    const seen = new Set<number>();
    const oneDown = metadata(4, [2]);
    for (let i = 0; i < 40; i++)
      seen.add(cached({ topic: 't', partitionMetadata: oneDown, message: { value: 'v' } }));
    assert.deepEqual([...seen].sort(), [0, 1, 3]);
  });
});

describe('kafkajs patch (patches/kafkajs+2.2.4.patch)', () => {
  type Group = (args: {
    topic: string;
    partitionMetadata: PartitionMetadata[];
    messages: { key: string; value: string }[];
    partitioner: (a: PartitionerArgs) => number;
  }) => Record<string, { key: string; value: string }[]>;
  const path = require.resolve('kafkajs/src/producer/groupMessagesPerPartition');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const group = require(path) as Group;

  /** kafkajs 2.2.4's own implementation, O(n^2): the reference the patched one must agree with. */
  const original: Group = ({ topic, partitionMetadata, messages, partitioner }) => {
    if (partitionMetadata.length === 0) return {};
    return messages.reduce<Record<string, { key: string; value: string }[]>>((result, message) => {
      const partition = partitioner({ topic, partitionMetadata, message });
      const current = result[partition] ?? [];
      return Object.assign(result, { [partition]: [...current, message] });
    }, {});
  };

  it('is installed (npm install runs patch-package)', () => {
    assert.match(readFileSync(path, 'utf8'), /Patched \(patches\/kafkajs\+2\.2\.4\.patch\)/);
  });

  it('groups messages per partition exactly as the original, in order (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.array(fc.tuple(fc.string({ maxLength: 6 }), fc.nat()), { maxLength: 200 }),
        (partitions, raw) => {
          const messages = raw.map(([key, n]) => ({ key, value: String(n) }));
          const partitioner = (a: PartitionerArgs): number =>
            Number(a.message.value) % Math.max(1, a.partitionMetadata.length);
          const args = { topic: 't', partitionMetadata: metadata(partitions), messages, partitioner };
          assert.deepEqual(group(args), original(args));
        },
      ),
      { numRuns: 300 },
    );
  });
});
