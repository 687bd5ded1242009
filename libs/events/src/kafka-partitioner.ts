import { Partitioners, type ICustomPartitioner } from 'kafkajs';

/** Distinct (topic, partition count, key) triples remembered; past this the memory starts over. */
const MAX_KEYS = 10_000;

/**
 * kafkajs's DefaultPartitioner (Java-compatible murmur2 of the key, modulo the partition count) with
 * each key's partition remembered. The default hashes every message's key through `Long` objects and
 * filters the partition metadata per message: about 5 KB of garbage per usage event, whose keys (team
 * ids) are few. Messages without a key or with an explicit partition go to the default as they are.
 */
export const KeyCachingPartitioner: ICustomPartitioner = () => {
  const base = Partitioners.DefaultPartitioner();
  const byKey = new Map<string, number>();
  return (args) => {
    const { topic, partitionMetadata, message } = args;
    const key = message.key;
    if (typeof key !== 'string' || (message.partition !== undefined && message.partition !== null))
      return base(args);
    const k = `${topic}\u0000${partitionMetadata.length}\u0000${key}`;
    let partition = byKey.get(k);
    if (partition === undefined) {
      partition = base(args);
      if (byKey.size >= MAX_KEYS) byKey.clear();
      byKey.set(k, partition);
    }
    return partition;
  };
};
