// Runs the guarded cells of the fault matrix inside the network namespace that
// runGuardedInNetns (suites/fault-matrix.ts) made with `unshare -n`: progress on stderr, the
// outcome as one JSON line on stdout.
import { runMatrix, type Face, type Phase } from './suites/fault-matrix.ts';

const cells = JSON.parse(process.env.MATRIX_CELLS ?? '[]') as [string, Phase, Face][];
const outcome = await runMatrix({
  faces: ['cli', 'server'],
  phases: ['search', 'media'],
  cells,
  inNetns: true,
  log: (l) => process.stderr.write(`${l}\n`),
});
process.stdout.write(`${JSON.stringify(outcome)}\n`);
