import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { writeSseData, writeSseHead } from './sse';

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
      await writeSseData(res, '{"n":1}');
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
      await writeSseData(res, '{"n":1}');
      res.end();
    });
    assert.match(pieces[0]!, /^HTTP\/1\.1 200[\s\S]*text\/event-stream/);
    assert.doesNotMatch(pieces[0]!, /data:/);
    assert.match(pieces.join(''), /data: \{"n":1\}/);
  });
});
