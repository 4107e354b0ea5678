// `npm run reliability`: runs the reliability suites one after another against the
// real CLI, server and store, saves each suite's result under reliability/results/ and
// renders RELIABILITY.md from all of them.
//   --only a,b   run these suites only (the others keep their last results)
//   --quick      the fast subsets (what `npm test` runs); printed, not saved into the report
//   --seed N     the seed for everything random
//   --report     only render RELIABILITY.md again from the saved results
import type { SuiteResult } from './lib/report.ts';
import { saveResult, writeReport } from './lib/report.ts';
import type { SuiteOptions } from './lib/suite.ts';
import { runConfigFuzz } from './suites/config-fuzz-suite.ts';
import {
  apiFuzzSuite,
  crashSuite,
  diskFullSuite,
  matrixSuite,
  parserFuzzSuite,
  pathFuzzSuite,
  shutdownSuite,
  soakSuite,
} from './suites/report-suites.ts';

interface Entry {
  id: string;
  run: (options: SuiteOptions) => Promise<SuiteResult>;
}

const SUITES: Entry[] = [
  { id: 'fault-matrix', run: matrixSuite },
  { id: 'crash', run: crashSuite },
  { id: 'fuzz-api', run: apiFuzzSuite },
  { id: 'fuzz-config', run: runConfigFuzz },
  { id: 'fuzz-paths', run: pathFuzzSuite },
  { id: 'fuzz-parsers', run: parserFuzzSuite },
  { id: 'disk-full', run: diskFullSuite },
  { id: 'shutdown', run: shutdownSuite },
  { id: 'soak', run: soakSuite },
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv.includes('--report')) {
  console.log(`report: ${writeReport()}`);
  process.exit(0);
}

const only = arg('--only')
  ?.split(',')
  .map((s) => s.trim());
const quick = process.argv.includes('--quick');
const seed = Number(arg('--seed') ?? Date.now() % 2 ** 31);
const unknown = only?.filter((id) => !SUITES.some((s) => s.id === id)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; known: ${SUITES.map((s) => s.id).join(', ')}`);
  process.exit(2);
}

let failed = 0;
for (const suite of SUITES) {
  if (only && !only.includes(suite.id)) continue;
  const started = performance.now();
  console.log(`▶ ${suite.id}${quick ? ' (quick)' : ''} seed ${seed}`);
  let result: SuiteResult;
  try {
    result = await suite.run({ quick, seed, log: (line) => console.log(`  ${line}`) });
  } catch (error) {
    result = {
      id: suite.id,
      order: 99,
      title: suite.id,
      status: 'failed',
      injected: '',
      expected: '',
      figures: [`the suite itself crashed: ${(error as Error).stack ?? String(error)}`],
      ranAt: new Date().toISOString(),
      durationMs: performance.now() - started,
      command: `npm run reliability -- --only ${suite.id}`,
    };
  }
  if (result.status === 'failed') failed++;
  // A quick run is a smoke test: it does not replace the full results the report is made of.
  if (!quick) saveResult(result);
  console.log(
    `  ${result.status}${result.reason ? `: ${result.reason}` : ''} in ${(result.durationMs / 1000).toFixed(1)} s`,
  );
  for (const f of result.figures) console.log(`  - ${f}`);
}
if (!quick) console.log(`report: ${writeReport()}`);
process.exit(failed > 0 ? 1 : 0);
