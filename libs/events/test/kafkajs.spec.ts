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

describe('kafkajs patches (patches/kafkajs+2.2.4.patch): grouping', () => {
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

describe('kafkajs patches: CRC32C and the encoder', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as ((b: Buffer) => number) & {
    implementation: 'native' | 'js';
    js: (b: Buffer) => number;
  };

  /** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) bit by bit: the reference. */
  const reference = (buf: Buffer): number => {
    let crc = ~0;
    for (const byte of buf) {
      crc ^= byte;
      for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    }
    return ~crc >>> 0;
  };

  it('are installed', () => {
    for (const file of [
      'recordBatch/crc32C/crc32C.js',
      'recordBatch/crc32C/index.js',
      'encoder.js',
      'recordBatch/record/v0/index.js',
      'recordBatch/v0/index.js',
      'requests/produce/v3/request.js',
    ])
      assert.match(
        readFileSync(require.resolve(`kafkajs/src/protocol/${file}`), 'utf8'),
        /Patched \(patches\/kafkajs\+2\.2\.4\.patch\)/,
      );
  });

  it('CRC32C: the native checksum is the one used here (@node-rs/crc32 has a binary for this machine)', () => {
    assert.equal(crc32C.implementation, 'native');
  });

  it('CRC32C, native and JS: the check value, and the reference for any bytes at any alignment (property)', () => {
    for (const crc of [crc32C, crc32C.js]) assert.equal(crc(Buffer.from('123456789')), 0xe3069283);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (bytes, skip) => {
        const buf = Buffer.from(bytes).subarray(Math.min(skip, bytes.length));
        const expected = reference(buf);
        assert.equal(crc32C(buf), expected);
        assert.equal(crc32C.js(buf), expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('a record batch from the unzeroed encoder has the right CRC and decodes back to its messages (property)', async () => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
      RecordBatch: (a: object) => Promise<{ buffer: Buffer }>;
    };
    const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (a: object) => unknown;
    const Decoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => unknown;
    const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
      d: unknown,
    ) => Promise<{ records: { key: Buffer; value: Buffer; offset: string }[] }>;
    /* eslint-enable @typescript-eslint/no-require-imports */
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.string({ maxLength: 40 }), fc.string({ maxLength: 3000 })), {
          minLength: 1,
          maxLength: 20,
        }),
        async (messages) => {
          const records = messages.map(([key, value], i) =>
            Record({ offsetDelta: i, timestampDelta: 0, key, value, headers: {} }),
          );
          const batch = await RecordBatch({ firstOffset: '0', firstTimestamp: Date.now(), records });
          // The batch's CRC (bytes 17-20) covers everything from its attributes (byte 21) on.
          assert.equal(batch.buffer.readUInt32BE(17), reference(batch.buffer.subarray(21)));
          const decoded = await decodeBatch(new Decoder(batch.buffer));
          assert.deepEqual(
            decoded.records.map((r) => [r.key.toString(), r.value.toString()]),
            messages,
          );
        },
      ),
      { numRuns: 100 },
    );
  });
  it('a whole produce request decodes back to its messages: keys, values, headers, timestamps (property)', async () => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const Produce = require('kafkajs/src/protocol/requests/produce/v3/request') as (a: object) => {
      encode: () => Promise<{ buffer: Buffer }>;
    };
    const Decoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => {
      readString(): string | null;
      readInt16(): number;
      readInt32(): number;
      readBytes(): Buffer;
    };
    const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<{
      records: {
        key: Buffer | null;
        value: Buffer | null;
        timestamp: string;
        headers: Record<string, Buffer | Buffer[]>;
      }[];
    }>;
    /* eslint-enable @typescript-eslint/no-require-imports */
    const base = 1_764_306_000_000;
    // Null keys, Buffer and non-ASCII values, headers with one and several values, and timestamps whose
    // deltas need more than 32 bits (the encoder's Long path) as well as the usual none.
    const message = fc.record(
      {
        key: fc.oneof(
          fc.constant(null),
          fc.string({ maxLength: 30 }),
          fc.string({ unit: 'binary', maxLength: 10 }),
        ),
        value: fc.oneof(
          fc.string({ maxLength: 2000 }),
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        ),
        headers: fc.dictionary(
          // Prefixed: the decoder collects headers in a plain object, where 'valueOf' would meet the prototype.
          fc.string({ maxLength: 8 }).map((k) => `h-${k}`),
          fc.oneof(
            fc.string({ maxLength: 20 }),
            fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 3 }),
          ),
          { maxKeys: 3 },
        ),
        timestamp: fc.oneof(
          fc.constant(undefined),
          fc.integer({ min: 0, max: 2 ** 40 }).map((d) => base + d),
        ),
      },
      { requiredKeys: ['key', 'value'] },
    );
    const bytes = (v: string | Buffer | null): Buffer | null =>
      v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v);
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 12 }), async (messages) => {
        const request = Produce({
          acks: -1,
          timeout: 30_000,
          compression: 0,
          topicData: [{ topic: 'sluice.test', partitions: [{ partition: 2, firstSequence: 7, messages }] }],
        });
        const d = new Decoder((await request.encode()).buffer);
        assert.equal(d.readString(), null); // transactional id
        assert.equal(d.readInt16(), -1);
        assert.equal(d.readInt32(), 30_000);
        assert.equal(d.readInt32(), 1); // topics
        assert.equal(d.readString(), 'sluice.test');
        assert.equal(d.readInt32(), 1); // partitions
        assert.equal(d.readInt32(), 2);
        const batchBytes = d.readBytes();
        assert.equal(batchBytes.readUInt32BE(17), reference(batchBytes.subarray(21)));
        const decoded = await decodeBatch(new Decoder(batchBytes));
        const stamps = messages.flatMap((m) => (m.timestamp === undefined ? [] : [m.timestamp])).sort();
        assert.equal(decoded.records.length, messages.length);
        decoded.records.forEach((r, i) => {
          const m = messages[i]!;
          assert.deepEqual(r.key, bytes(m.key));
          assert.deepEqual(r.value, bytes(m.value));
          const headers = Object.fromEntries(
            Object.entries(m.headers ?? {}).map(([k, v]) => [
              k,
              Array.isArray(v) && v.length > 1
                ? v.map((x) => Buffer.from(x))
                : Buffer.from(Array.isArray(v) ? v[0]! : v),
            ]),
          );
          assert.deepEqual(r.headers, headers);
          // A message without a timestamp gets the time of the encode; one with a timestamp keeps it.
          if (m.timestamp !== undefined) assert.equal(r.timestamp, String(m.timestamp));
          else if (stamps.length === 0) assert.ok(Math.abs(Number(r.timestamp) - Date.now()) < 60_000);
        });
      }),
      { numRuns: 200 },
    );
  });
});
