import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { connect } from 'node:net';
import { Client } from 'pg';
import { createTestDatabase, KafkaBroker, requireKafkaBrokers, uniqueTopic } from '../src/services/index';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

function connectTcp(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

function kafkaClient(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'services-int-spec', brokers, logLevel: logLevel.NOTHING });
}

/** Consumes until `count` messages arrived (or throws after `timeoutMs`); commits as it goes. */
async function consume(
  consumer: Consumer,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<string[]> {
  const got: string[] = [];
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`got ${got.length}/${count} messages in ${timeoutMs} ms`)),
      timeoutMs,
    );
    consumer
      .run({
        eachMessage: async ({ message }: { message: KafkaMessage }) => {
          got.push(message.value?.toString() ?? '');
          if (got.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return got;
}

void describe('createTestDatabase', () => {
  void it('creates a fresh usable database and drops it', async () => {
    const db = await createTestDatabase('services spec');
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('create table t (id int primary key, v text not null)');
      await client.query(`insert into t values (1, 'one'), (2, 'two')`);
      const rows = await client.query<{ v: string }>('select v from t order by id');
      assert.deepEqual(
        rows.rows.map((r) => r.v),
        ['one', 'two'],
      );
      const name = await client.query<{ db: string }>('select current_database() as db');
      assert.equal(`/${name.rows[0]!.db}`, new URL(db.url).pathname);
    } finally {
      await client.end();
    }

    const other = await createTestDatabase('services spec');
    assert.notEqual(other.url, db.url);
    await other.drop();

    await db.drop();
    await db.drop(); // idempotent
    const probe = new Client({ connectionString: db.url });
    await assert.rejects(probe.connect(), /does not exist/);
  });
});

void describe('shared Kafka (SLUICE_TEST_KAFKA_BROKERS)', () => {
  void it('round-trips a message on a unique topic', async () => {
    const kafka = kafkaClient(requireKafkaBrokers());
    const topic = uniqueTopic('services-shared');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k', value: 'shared-hello' }] });
    await producer.disconnect();
    const got = await consume(kafka.consumer({ groupId: uniqueTopic('g') }), topic, 1);
    assert.deepEqual(got, ['shared-hello']);
  });
});

void describe('private KafkaBroker', () => {
  let broker: KafkaBroker | undefined;
  after(async () => {
    await broker?.stop();
  });

  void it('keeps topics and committed offsets across stop/restart and survives a SIGKILL', async () => {
    broker = await KafkaBroker.start();
    assert.notDeepEqual(broker.brokers, requireKafkaBrokers(), 'a private broker, not the shared one');
    const topic = uniqueTopic('services-private');
    const groupId = uniqueTopic('group');

    const kafka = kafkaClient(broker.brokers);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'a', value: 'first' }] });
    await producer.disconnect();
    assert.deepEqual(await consume(kafka.consumer({ groupId }), topic, 1), ['first']);

    await broker.stop();
    assert.equal(broker.running, false);
    await assert.rejects(connectTcp(broker.port), /ECONNREFUSED/);

    await broker.restart();
    assert.equal(broker.running, true);
    // the message is still on the topic: a new group reads it from the beginning
    assert.deepEqual(
      await consume(kafkaClient(broker.brokers).consumer({ groupId: uniqueTopic('g2') }), topic, 1),
      ['first'],
    );

    // a crash (SIGKILL) and a restart: the old group's committed offset survives, so it gets only the new message
    const producer2 = kafkaClient(broker.brokers).producer();
    await producer2.connect();
    await producer2.send({ topic, acks: -1, messages: [{ key: 'a', value: 'second' }] });
    await producer2.disconnect();
    await broker.kill();
    assert.equal(broker.running, false);
    await broker.restart();
    assert.deepEqual(await consume(kafkaClient(broker.brokers).consumer({ groupId }), topic, 1), ['second']);
  });
});
