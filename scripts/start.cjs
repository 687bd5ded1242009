#!/usr/bin/env node
// Entry for `npm start` and friends: runs an app's main from the TypeScript sources through swc
// (no build step for the quick start). Deployments run the compiled output instead:
// `npm run build && node dist/apps/<app>/src/main.js` (the Dockerfile does this).
'use strict';
const path = require('node:path');
const root = path.resolve(__dirname, '..');
const target = process.argv[2] || 'standalone';
const mains = {
  standalone: 'apps/standalone/src/main.ts',
  gateway: 'apps/gateway/src/main.ts',
  ledger: 'apps/ledger/src/main.ts',
  marketplace: 'apps/marketplace/src/main.ts',
  migrate: 'apps/standalone/src/migrate.ts',
  'ledger-verify': 'apps/ledger/src/accounting/verify.cli.ts',
};
if (!mains[target]) {
  console.error(`unknown target ${target}; one of: ${Object.keys(mains).join(', ')}`);
  process.exit(2);
}
process.env.SWC_NODE_PROJECT = path.join(root, 'tsconfig.json');
process.argv.splice(2, 1);
require('@swc-node/register');
require(path.join(root, mains[target]));
