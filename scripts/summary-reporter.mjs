// node:test reporter that ends the run with the one line CI reads: "N passed, N failed".
// Suites are not counted, only tests; skipped and todo tests are reported apart.
export default async function* summary(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data;
    if (data.details?.type === 'suite') continue;
    if (event.type === 'test:pass') {
      if (data.skip || data.todo) skipped += 1;
      else passed += 1;
    } else if (data.details?.error?.failureType === 'subtestsFailed') {
      // a test whose subtests failed: its subtests are counted already
      continue;
    } else {
      failed += 1;
    }
  }
  yield `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
}
