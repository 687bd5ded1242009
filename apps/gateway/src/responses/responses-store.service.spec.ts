import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResponsesResponse } from '@sluice/protocols';
import type { GatewayRuntime } from '../gateway.runtime';
import { ResponsesStore, type StoredResponse } from './responses-store.service';

type Row = { id: string; teamId: string; body: string };

/** A table in memory behind the two statements the store's write and read paths send. */
function fakeRuntime(opts: { failWrites?: number } = {}) {
  const rows = new Map<string, Row>();
  const inserts: number[] = [];
  const errors: string[] = [];
  let failWrites = opts.failWrites ?? 0;
  let release: (() => void) | null = null;
  let hold = false;
  const db = {
    async query(sql: string, params: unknown[] = []): Promise<unknown[]> {
      if (sql.includes('INSERT INTO gateway.responses')) {
        if (hold) await new Promise<void>((r) => (release = r));
        if (failWrites > 0) {
          failWrites -= 1;
          throw new Error('database down');
        }
        // One JSON array parameter, as UTF-8 bytes: [{ id, team_id, body }, ...]
        const param = params[0];
        assert.ok(Buffer.isBuffer(param), 'the batch goes as bytes');
        const batch = JSON.parse(param.toString('utf8')) as { id: string; team_id: string; body: unknown }[];
        inserts.push(batch.length);
        for (const r of batch) rows.set(r.id, { id: r.id, teamId: r.team_id, body: JSON.stringify(r.body) });
        return [];
      }
      if (sql.startsWith('SELECT body')) {
        const [id, team] = params as [string, string];
        const row = rows.get(id);
        return row && row.teamId === team ? [{ body: row.body }] : [];
      }
      if (sql.startsWith('DELETE FROM gateway.responses WHERE id')) {
        const [id, team] = params as [string, string];
        const row = rows.get(id);
        if (!row || row.teamId !== team) return [];
        rows.delete(id);
        return [{ id }];
      }
      return [];
    },
  };
  const rt = {
    db,
    config: { responsesTtlHours: 24 },
    logger: { error: (_o: unknown, msg: string) => errors.push(msg), warn: () => undefined },
  } as unknown as GatewayRuntime;
  return {
    rt,
    rows,
    inserts,
    errors,
    holdWrites: () => (hold = true),
    releaseWrites: () => {
      hold = false;
      release?.();
    },
  };
}

function stored(id: string): StoredResponse {
  return {
    input: [{ role: 'user', content: 'hi' }],
    response: { id, created_at: 1, output: [{ type: 'message', id: 'm' }] } as unknown as ResponsesResponse,
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function waitFor(done: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(done(), 'timed out');
}

describe('ResponsesStore (writes off the response path)', () => {
  it('serves a turn from memory before its row is written, then from the table', async () => {
    const f = fakeRuntime();
    f.holdWrites();
    const store = new ResponsesStore(f.rt);
    store.remember('team-a', stored('resp_1'));
    assert.equal(f.rows.size, 0, 'nothing written synchronously');
    const turn = await store.turn('team-a', 'resp_1');
    assert.equal(turn?.id, 'resp_1');
    assert.deepEqual(turn?.input, [{ role: 'user', content: 'hi' }]);
    assert.equal(await store.turn('team-b', 'resp_1'), undefined, 'another team does not see it');
    f.releaseWrites();
    await store.flush();
    assert.equal(f.rows.size, 1);
    assert.equal(store.queued(), 0);
    assert.equal((await store.turn('team-a', 'resp_1'))?.id, 'resp_1');
  });

  it('keeps what was remembered as it was then: a later change to the object is not stored', async () => {
    const f = fakeRuntime();
    f.holdWrites();
    const store = new ResponsesStore(f.rt);
    const s = stored('resp_1');
    store.remember('team-a', s);
    // The caller's objects are not held while the row waits (only its JSON text is).
    (s.input as { content: string }[])[0]!.content = 'changed';
    s.response.output.length = 0;
    const turn = await store.turn('team-a', 'resp_1');
    assert.deepEqual(turn?.input, [{ role: 'user', content: 'hi' }]);
    assert.deepEqual(turn?.output, [{ type: 'message', id: 'm' }]);
    f.releaseWrites();
    await store.flush();
    assert.deepEqual(JSON.parse(f.rows.get('resp_1')!.body), {
      input: [{ role: 'user', content: 'hi' }],
      response: { id: 'resp_1', created_at: 1, output: [{ type: 'message', id: 'm' }] },
    });
  });
  it('writes what arrives within the linger in one INSERT, by itself', async () => {
    const f = fakeRuntime();
    const store = new ResponsesStore(f.rt);
    store.lingerMs = 60_000;
    for (let i = 0; i < 5; i++) {
      store.remember('team-a', stored(`resp_${i}`));
      await tick();
    }
    assert.deepEqual(f.inserts, [], 'still lingering after five event-loop turns');
    await store.flush();
    assert.deepEqual(f.inserts, [5]);
    // And without a flush, once the linger is over.
    store.lingerMs = 1;
    for (let i = 5; i < 8; i++) store.remember('team-a', stored(`resp_${i}`));
    await waitFor(() => store.queued() === 0);
    assert.deepEqual(f.inserts, [5, 3]);
    assert.equal(f.rows.size, 8);
  });

  it('writes a full batch without waiting out the linger', async () => {
    const f = fakeRuntime();
    const store = new ResponsesStore(f.rt);
    store.lingerMs = 60_000;
    for (let i = 0; i < 300; i++) store.remember('team-a', stored(`resp_${i}`));
    await tick();
    assert.deepEqual(f.inserts, [300], 'written in the next turn');
  });

  it("writes the same row body from the response's JSON text as from the object", async () => {
    const f = fakeRuntime();
    const store = new ResponsesStore(f.rt);
    const a = stored('resp_obj');
    const b = stored('resp_json');
    store.remember('team-a', a);
    store.remember('team-a', b, JSON.stringify(b.response));
    await store.flush();
    assert.equal(f.rows.get('resp_json')!.body, JSON.stringify(b));
    assert.equal(f.rows.get('resp_obj')!.body, JSON.stringify(a));
    assert.deepEqual(await store.get('team-a', 'resp_json'), b);
  });

  it('writes bodies with multi-byte text whole, beside ASCII ones, in one batch', async () => {
    const f = fakeRuntime();
    const store = new ResponsesStore(f.rt);
    const wide = stored('resp_wide');
    (wide.input as { content: string }[])[0]!.content = 'héllo ✓ 🎉 "quoted" \\ \u2028 end';
    store.remember('team-ü', wide);
    store.remember('team-a', stored('resp_plain'));
    await store.flush();
    assert.deepEqual(f.inserts, [2]);
    assert.equal(f.rows.get('resp_wide')!.body, JSON.stringify(wide));
    assert.equal(f.rows.get('resp_wide')!.teamId, 'team-ü');
    assert.equal(f.rows.get('resp_plain')!.body, JSON.stringify(stored('resp_plain')));
    assert.deepEqual((await store.turn('team-ü', 'resp_wide'))?.input, wide.input);
  });

  it('GET and DELETE wait for the row, so they see the table', async () => {
    const f = fakeRuntime();
    const store = new ResponsesStore(f.rt);
    store.remember('team-a', stored('resp_g'));
    const got = await store.get('team-a', 'resp_g');
    assert.equal(got?.response.id, 'resp_g');
    store.remember('team-a', stored('resp_d'));
    assert.equal(await store.delete('team-a', 'resp_d'), true);
    assert.equal(f.rows.has('resp_d'), false, 'not resurrected by a late write');
    await store.flush();
    assert.equal(f.rows.has('resp_d'), false);
  });

  it('a GET while a retry waits cancels the retry without breaking setImmediate for the process', async () => {
    const f = fakeRuntime({ failWrites: 1 });
    const store = new ResponsesStore(f.rt);
    store.remember('team-a', stored('resp_t'));
    await store.flush(); // fails: a retry timer waits
    assert.equal((await store.get('team-a', 'resp_t'))?.response.id, 'resp_t');
    // clearImmediate on the retry's Timeout (as this store once did) leaves Node's immediate queue
    // believing it is empty: this tick would then never come.
    await Promise.race([
      tick(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('setImmediate never ran')), 500)),
    ]);
  });

  it('retries a failed write, and gives up after three attempts with an error log', async () => {
    const f = fakeRuntime({ failWrites: 1 });
    const store = new ResponsesStore(f.rt);
    store.remember('team-a', stored('resp_r'));
    await store.flush(); // fails, and leaves the row to a retry
    assert.equal(f.inserts.length, 0, 'the first write failed');
    assert.equal(store.queued(), 1, 'kept for a retry');
    assert.equal((await store.turn('team-a', 'resp_r'))?.id, 'resp_r', 'still served from memory');
    await store.flush();
    assert.equal(f.rows.has('resp_r'), true);
    assert.equal(store.queued(), 0);

    const g = fakeRuntime({ failWrites: 10 });
    const s2 = new ResponsesStore(g.rt);
    s2.remember('team-a', stored('resp_x'));
    for (let i = 0; i < 3; i++) await s2.get('team-a', 'resp_x');
    assert.equal(s2.queued(), 0);
    assert.deepEqual(g.errors, ['storing a response failed']);
    await s2.onApplicationShutdown();
  });
});
