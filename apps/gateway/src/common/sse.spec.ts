import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { endSseWith, flushSseHead, SSE_HEAD_WAIT_MS, writeSse, writeSseHead } from './sse';

type Handler = (res: ServerResponse, clientGotHead: Promise<void>) => Promise<void>;

/**
 * One request over a raw socket to a server running `handler`: what the client read, piece by piece
 * (on loopback one socket write, corked or not, arrives as one piece).
 */
async function exchange(handler: Handler): Promise<string[]> {
  let headSeen: () => void = () => undefined;
  const clientGotHead = new Promise<void>((r) => (headSeen = r));
  const server = createServer((_req, res) => void handler(res, clientGotHead));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const pieces: string[] = [];
      const socket = connect(port, '127.0.0.1', () =>
        socket.write('GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n'),
      );
      socket.on('data', (d: Buffer) => {
        pieces.push(d.toString());
        if (pieces.join('').includes('\r\n\r\n')) headSeen();
      });
      socket.on('end', () => resolve(pieces));
      socket.on('error', reject);
    });
  } finally {
    server.close();
  }
}

describe('SSE head', () => {
  it('goes out with the first event when that comes at once (one write, not two)', async () => {
    let writtenByHead = -1;
    const pieces = await exchange(async (res) => {
      const before = res.socket!.bytesWritten;
      writeSseHead(res);
      writtenByHead = res.socket!.bytesWritten - before;
      await writeSse(res, 'data: {"n":1}\n\n');
      res.end('data: [DONE]\n\n');
    });
    assert.equal(writtenByHead, 0, 'nothing written to the socket for the head alone');
    assert.match(pieces.join(''), /data: \{"n":1\}\n\n[\s\S]*data: \[DONE\]/);
    assert.match(pieces[0]!, /^HTTP\/1\.1 200[\s\S]*text\/event-stream[\s\S]*\r\n\r\n[\s\S]*data: \{"n":1\}/);
  });

  it('goes out alone when the first event is slow, so the client sees the stream open', async () => {
    // The server writes its first event only once the client has the head: without the timed flush that
    // would never happen and the test would time out.
    const pieces = await exchange(async (res, clientGotHead) => {
      writeSseHead(res);
      await clientGotHead;
      await writeSse(res, 'data: {"n":1}\n\n');
      res.end();
    });
    assert.match(pieces[0]!, /^HTTP\/1\.1 200[\s\S]*text\/event-stream/);
    assert.doesNotMatch(pieces[0]!, /data:/);
    assert.match(pieces.join(''), /data: \{"n":1\}/);
  });

  it('arms no timer when the caller says an event comes now: the head waits for it, then goes out with it', async () => {
    let headAlone = false;
    const pieces = await exchange(async (res, clientGotHead) => {
      writeSseHead(res, true);
      // Well past the wait a timer would have flushed the head after.
      const waited = new Promise<boolean>((r) => setTimeout(() => r(false), SSE_HEAD_WAIT_MS * 5));
      headAlone = await Promise.race([clientGotHead.then(() => true), waited]);
      await writeSse(res, 'data: {"n":1}\n\n');
      res.end();
    });
    assert.equal(headAlone, false, 'the head did not go out by itself');
    assert.match(pieces[0]!, /^HTTP\/1\.1 200[\s\S]*\r\n\r\n[\s\S]*data: \{"n":1\}/);
  });

  it('flushSseHead sends a waiting head alone (a first chunk that gave no event)', async () => {
    const pieces = await exchange(async (res, clientGotHead) => {
      writeSseHead(res, true);
      flushSseHead(res);
      await clientGotHead;
      await writeSse(res, 'data: {"n":1}\n\n');
      res.end();
    });
    assert.doesNotMatch(pieces[0]!, /data:/);
    assert.match(pieces.join(''), /data: \{"n":1\}/);
  });
});

describe('endSseWith', () => {
  it('sends the head, the last parts and the chunked terminator in one socket write', async () => {
    const pieces = await exchange(async (res) => {
      writeSseHead(res);
      endSseWith(res, ['data: {"n":1}\n\n', Buffer.from('data: {"n":2}\n\n'), '', 'data: [DONE]\n\n']);
    });
    assert.equal(pieces.length, 1, `one piece on the wire, got ${pieces.length}`);
    const [head, body] = pieces[0]!.split('\r\n\r\n', 2) as [string, string];
    assert.match(head, /^HTTP\/1\.1 200[\s\S]*transfer-encoding: chunked/i);
    assert.ok(pieces[0]!.endsWith('0\r\n\r\n'), 'ends with the chunked terminator');
    const data = body.replace(/\r\n[0-9a-f]+\r\n/g, '').replace(/^[0-9a-f]+\r\n/, '');
    assert.match(data, /data: \{"n":1\}\n\ndata: \{"n":2\}\n\ndata: \[DONE\]\n\n/);
  });

  it('sends text beyond Latin-1 as its UTF-8 bytes, in chunks whose sizes count bytes', async () => {
    const server = createServer((_req, res) => {
      writeSseHead(res);
      void writeSse(res, 'data: {"t":"é’😀"}\n\n').then(() =>
        endSseWith(res, ['data: {"t":"ü"}\n\n', 'data: [DONE]\n\n']),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      // fetch decodes the chunked body: a size counted in characters would cut it or fail it.
      const res = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(await res.text(), 'data: {"t":"é’😀"}\n\ndata: {"t":"ü"}\n\ndata: [DONE]\n\n');
    } finally {
      server.close();
    }
  });

  it('ends a response with nothing left to send, and does nothing on one already ended', async () => {
    const pieces = await exchange(async (res) => {
      writeSseHead(res);
      await writeSse(res, 'data: {"n":1}\n\n');
      endSseWith(res, ['', '']);
      endSseWith(res, ['data: late\n\n']);
    });
    const text = pieces.join('');
    assert.match(text, /data: \{"n":1\}/);
    assert.doesNotMatch(text, /late/);
    assert.ok(text.endsWith('0\r\n\r\n'));
  });
});
