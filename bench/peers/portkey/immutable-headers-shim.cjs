// Preloaded into the Portkey gateway by bench/run.sh (node --require). On Node 20, Portkey 1.15.2
// edits the headers of the upstream fetch Response, which are immutable, and every streamed answer
// then fails with "TypeError: immutable" (Portkey-AI/gateway#1389 and #1550; pinning
// @hono/node-server to 1.14.2 was not enough here). The shim does what Portkey's proposed fix does
// (PR #1551): the Response that fetch returns is re-wrapped in a new one with mutable headers. The
// body stream is handed over as it is, not copied.
'use strict';
const realFetch = globalThis.fetch;
globalThis.fetch = async function fetchWithMutableHeaders(input, init) {
  const res = await realFetch(input, init);
  return new Response(res.body, {
    status: res.status,
    statusText: res.statusText,
    headers: new Headers(res.headers),
  });
};
