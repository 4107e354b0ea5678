// Configuration fuzzing: an invalid value never starts the program. Bad values
// are built per kind of variable from what the README's configuration table promises (counts, seconds, a port, a
// boolean, an http(s) origin…), not from the parser under test, so the oracle is independent.
import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { SOURCE_IDS } from '../../src/core/types.ts';
import { runCli } from '../lib/cli.ts';
import { makeSandbox } from '../lib/paths.ts';

type Kind =
  | 'count1'
  | 'count0'
  | 'seconds'
  | 'seconds0'
  | 'port'
  | 'resolution'
  | 'megabytes'
  | 'bool'
  | 'origin'
  | 'token'
  | 'host'
  | 'dir';

const FIXED: Record<string, Kind> = {
  MAX_CONCURRENT_SOURCES: 'count1',
  MAX_DOWNLOADS_PER_SOURCE: 'count1',
  MAX_CONNECTIONS_PER_HOST: 'count1',
  MAX_CONCURRENT_JOBS: 'count1',
  MAX_RETRIES_PER_SOURCE: 'count0',
  MAX_RETRIES_PER_DOWNLOAD: 'count0',
  MIN_DOWNLOAD_SPEED: 'count0',
  RATE_LIMIT_PER_MINUTE: 'count0',
  LOG_BACKUPS: 'count0',
  LOG_MAX_BYTES: 'count0',
  SOURCE_TIMEOUT: 'seconds',
  REQUEST_TIMEOUT: 'seconds',
  DOWNLOAD_TIMEOUT: 'seconds',
  STALL_TIMEOUT: 'seconds',
  URLS_TIMEOUT: 'seconds',
  SEARCH_CACHE_TTL: 'seconds0',
  PORT: 'port',
  MAX_VIDEO_RESOLUTION: 'resolution',
  MAX_FILE_SIZE_MB: 'megabytes',
  ALLOW_PRIVATE_NETWORKS: 'bool',
  API_TOKEN: 'token',
  HOST: 'host',
  DOWNLOAD_DIR: 'dir',
  LOG_DIR: 'dir',
  DATA_DIR: 'dir',
};

/** Every variable with a kind: the fixed ones plus `<ID>_TIMEOUT` and `<ID>_BASE_URL` per source. */
export const FUZZED_VARIABLES: Record<string, Kind> = {
  ...FIXED,
  ...Object.fromEntries(
    SOURCE_IDS.flatMap((id) => [
      [`${id.toUpperCase()}_TIMEOUT`, 'seconds' as Kind],
      [`${id.toUpperCase()}_BASE_URL`, 'origin' as Kind],
    ]),
  ),
};

const word = fc.stringMatching(/^[A-Za-z][A-Za-z_-]{0,11}$/);
const unit = fc.constantFrom('s', 'ms', 'sec', 'MB', 'k', ' seconds', 'x');
const digits = fc.integer({ min: 1, max: 99999 }).map(String);
const nonNumeric = fc.oneof(
  word,
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '0x10', '1e3', '1_000', '1,5', '--1', '+-2', '∞', '½', '١٢'),
  fc.tuple(digits, unit).map(([d, u]) => `${d}${u}`),
);
const negative = fc.integer({ min: 1, max: 1_000_000 }).map((n) => `-${n}`);
const fraction = fc
  .tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 999 }))
  .map(([a, b]) => `${a}.${b}`);

function badValues(kind: Kind): fc.Arbitrary<string> {
  switch (kind) {
    case 'count1':
      return fc.oneof(nonNumeric, negative, fc.constant('0'), fraction);
    case 'count0':
      return fc.oneof(nonNumeric, negative, fraction);
    case 'seconds':
      return fc.oneof(nonNumeric, negative, fc.constantFrom('0', '0.0', '-0.5'));
    case 'seconds0':
      return fc.oneof(nonNumeric, negative);
    case 'port':
      return fc.oneof(nonNumeric, negative, fraction, fc.integer({ min: 65536, max: 10_000_000 }).map(String));
    case 'resolution':
      return fc.oneof(nonNumeric, negative, fc.constant('0'), fraction);
    case 'megabytes':
      return fc.oneof(nonNumeric, negative, fc.constantFrom('0', '0.0'));
    case 'bool': {
      const accepted = new Set(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', 'y', 'n', 't', 'f', '']);
      return fc
        .oneof(word, fc.constantFrom('2', '-1', 'maybe', 'tru', 'enabled'))
        .filter((v) => !accepted.has(v.trim().toLowerCase()));
    }
    case 'origin':
      return fc.oneof(
        word,
        fc.constantFrom(
          'ftp://example.org',
          'file:///etc/passwd',
          'javascript:alert(1)',
          '127.0.0.1:9000',
          '/relative',
          'http://',
          'http://h/p?q=1',
          'http://u:p@h',
          'ws://h',
        ),
        fc.tuple(fc.constantFrom('gopher', 'data', 'mailto', 'ssh'), word).map(([s, w]) => `${s}:${w}`),
      );
    case 'token':
      return fc.stringMatching(/^[!-~]{1,7}$/);
    case 'host':
      return fc.oneof(
        fc.constantFrom('http://127.0.0.1', 'a b', 'host/path', 'x;rm', 'h?x'),
        fc.tuple(word, fc.constantFrom(' ', '/', '?', '#', '@', '%')).map(([w, c]) => `${w}${c}${w}`),
      );
    case 'dir':
      return fc.constantFrom('   ', '\t');
  }
}

export interface BadCase {
  name: string;
  value: string;
}

export const badCase: fc.Arbitrary<BadCase> = fc
  .constantFrom(...Object.keys(FUZZED_VARIABLES))
  .chain((name) => badValues(FUZZED_VARIABLES[name]!).map((value) => ({ name, value })));

/** The problem with one ConfigError for `bad`, or null when it is what the configuration contract asks for. */
export function judgeConfigError(error: unknown, bad: BadCase): string | null {
  if (!(error instanceof ConfigError)) return `threw ${String(error)} instead of a ConfigError`;
  if (!error.message.includes(bad.name)) return `message does not name ${bad.name}: ${error.message}`;
  if (!error.message.includes(bad.value.trim()) && !error.message.includes(JSON.stringify(bad.value)))
    return `message does not show the value: ${error.message}`;
  if (!/expected/i.test(error.message)) return `message does not say what is expected: ${error.message}`;
  return null;
}

export interface InProcessOutcome {
  runs: number;
  seed: number;
  failure: string | null;
}

/** In-process: every bad value, from the environment or from `.env`, is a ConfigError naming it. */
export function fuzzLoadConfig(numRuns: number, seed = Date.now() % 2 ** 31): InProcessOutcome {
  const details = fc.check(
    fc.property(badCase, fc.boolean(), (bad, fromDotenv) => {
      try {
        if (fromDotenv) loadConfig({}, { [bad.name]: bad.value });
        else loadConfig({ [bad.name]: bad.value }, {});
      } catch (error) {
        const problem = judgeConfigError(error, bad);
        if (problem) throw new Error(problem, { cause: error });
        return true;
      }
      throw new Error(`accepted ${bad.name}=${JSON.stringify(bad.value)}`);
    }),
    { numRuns, seed },
  );
  return {
    runs: details.numRuns,
    seed,
    failure: details.failed ? (fc.defaultReportMessage(details) ?? 'failed') : null,
  };
}

export interface CliCase {
  name: string;
  value: string;
  command: string;
  code: number | null;
  wallMs: number;
  namedVariable: boolean;
  createdSomething: boolean;
}

/**
 * Out of process: `harvester <command>` with one bad variable exits 2, names the variable on
 * stderr and creates nothing (its DOWNLOAD_DIR, LOG_DIR and DATA_DIR do not appear).
 */
export async function fuzzCli(
  numRuns: number,
  seed = Date.now() % 2 ** 31,
): Promise<{ cases: CliCase[]; seed: number; preflight: string | null }> {
  const sandbox = makeSandbox('config');
  try {
    // The oracle only means something if the command exists and works with a valid environment.
    const ok = await runCli(['sources'], { cwd: sandbox.root, env: { ...sandbox.env }, killAfterMs: 30_000 });
    if (ok.code !== 0)
      return {
        cases: [],
        seed,
        preflight: `\`harvester sources\` with a valid environment exited ${ok.code}: ${ok.stderr.trim().slice(0, 200)}`,
      };
    const samples = fc.sample(fc.tuple(badCase, fc.constantFrom('sources', 'search')), { numRuns, seed });
    const cases: CliCase[] = [];
    let i = 0;
    for (const [bad, command] of samples) {
      const dirs = {
        DOWNLOAD_DIR: join(sandbox.root, `d${i}`),
        LOG_DIR: join(sandbox.root, `l${i}`),
        DATA_DIR: join(sandbox.root, `db${i}`),
      };
      i++;
      const env: Record<string, string> = { ...dirs, [bad.name]: bad.value };
      const args = command === 'search' ? ['search', 'fuzz', '--sources', 'openverse', '--limit', '1'] : ['sources'];
      // Nothing may be fetched even if the check were missing: point the source at a closed port.
      if (command === 'search' && bad.name !== 'OPENVERSE_BASE_URL') env.OPENVERSE_BASE_URL = 'http://127.0.0.1:9';
      const r = await runCli(args, { cwd: sandbox.root, env, killAfterMs: 30_000 });
      const created = Object.entries(dirs).some(([k, d]) => k !== bad.name && existsSync(d));
      cases.push({
        name: bad.name,
        value: bad.value,
        command,
        code: r.code,
        wallMs: r.wallMs,
        namedVariable: r.stderr.includes(bad.name),
        createdSomething: created,
      });
    }
    return { cases, seed, preflight: null };
  } finally {
    sandbox.remove();
  }
}
