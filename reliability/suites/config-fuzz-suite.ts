// The configuration-fuzzing suite for the report: in-process loadConfig and the real CLI.
import type { SuiteOptions } from '../lib/suite.ts';
import { startResult } from '../lib/suite.ts';
import type { SuiteResult } from '../lib/report.ts';
import { percentile } from '../lib/stats.ts';
import { FUZZED_VARIABLES, fuzzCli, fuzzLoadConfig } from './config-fuzz.ts';

export const CONFIG_FUZZ = {
  id: 'fuzz-config',
  order: 31,
  title: 'Fuzzing: configuration values',
  command: 'npm run reliability -- --only fuzz-config',
  injected: `random invalid values (non-numbers, units such as "30s", negatives, zero where a positive is needed, fractions for integers, out-of-range ports, unknown booleans, non-http origins, short tokens, blank paths) for each of the ${Object.keys(FUZZED_VARIABLES).length} configuration variables (including every <ID>_TIMEOUT and <ID>_BASE_URL), from the environment and from .env.`,
  expected:
    'loadConfig throws ConfigError naming the variable, its value and what is expected; the real CLI (`harvester sources`, `harvester search`) exits 2 naming the variable, before any work (its DOWNLOAD_DIR, LOG_DIR and DATA_DIR are never created).',
};

export async function runConfigFuzz(options: SuiteOptions): Promise<SuiteResult> {
  const { result, finish } = startResult(CONFIG_FUZZ);
  const inProcess = fuzzLoadConfig(options.quick ? 1000 : 20_000, options.seed);
  result.figures.push(
    `in-process: ${inProcess.runs} random invalid values (seed ${inProcess.seed}): ${inProcess.failure ? 'FAILED' : 'every one refused with a ConfigError naming variable, value and expectation'}`,
  );
  if (inProcess.failure) {
    result.status = 'failed';
    result.notes!.push(`counterexample: ${inProcess.failure.split('\n').slice(0, 6).join(' ')}`);
  }
  const cli = await fuzzCli(options.quick ? 8 : 60, options.seed);
  if (cli.preflight) {
    result.status = 'failed';
    result.figures.push(`CLI: not run: ${cli.preflight}`);
    return finish();
  }
  const bad = cli.cases.filter((c) => c.code !== 2 || !c.namedVariable || c.createdSomething);
  const walls = cli.cases.map((c) => c.wallMs);
  result.figures.push(
    `CLI: ${cli.cases.length} processes (seed ${cli.seed}) — exit 2 naming the variable and creating nothing: ${cli.cases.length - bad.length}/${cli.cases.length}; process wall time p50 ${percentile(walls, 50).toFixed(0)} ms, max ${Math.max(...walls).toFixed(0)} ms`,
  );
  result.tables!.push({
    title: 'CLI cases (first 15)',
    table: {
      columns: ['command', 'variable', 'value', 'exit', 'names it', 'created dirs'],
      rows: cli.cases
        .slice(0, 15)
        .map((c) => [
          c.command,
          c.name,
          JSON.stringify(c.value),
          String(c.code),
          c.namedVariable ? 'yes' : 'NO',
          c.createdSomething ? 'YES' : 'no',
        ]),
    },
  });
  if (bad.length > 0) {
    result.status = 'failed';
    for (const c of bad.slice(0, 10))
      result.notes!.push(
        `${c.command} with ${c.name}=${JSON.stringify(c.value)}: exit ${c.code}, named ${c.namedVariable}, created ${c.createdSomething}`,
      );
  }
  return finish();
}
