// `npm run reliability`: the reliability suites (reliability/run.ts, run through
// tsx). Arguments pass through: --only <ids>, --quick, --seed <n>. Writes RELIABILITY.md.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const child = spawn(process.execPath, ['--import', 'tsx', 'reliability/run.ts', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
