// `harvester sources [--json]`: every source — id, name, kinds, the key it needs, whether it is
// configured, its origin — and, once jobs have run, its health (success rate, average download
// time, last error, cooling until, last check) from the store. `--check` runs one small real
// search per source and reports what it found (exit 0 all ok, 3 some, 1 none).
import type { Command } from 'commander';
import type { Config } from '../../core/config.ts';
import { escapeControlChars } from '../../core/control-chars.ts';
import { ConfigError, errorMessage } from '../../core/errors.ts';
import type { JobSourceName, SourceId } from '../../core/types.ts';
import type { SourceHealth } from '../../core/source-reports.ts';
import { cliConfig } from '../cli-config.ts';
import type { CliContext } from '../context.ts';
import { formatDuration, formatTable, terminalLines } from '../format.ts';
import { parseSources } from '../options.ts';

export interface SourceRow {
  id: string;
  name: string;
  kinds: string[];
  /** The variable holding the source's key, or null. */
  key_variable: string | null;
  configured: boolean;
  /** Why it is not configured (`pexels: needs PEXELS_API_KEY`), or null. */
  reason: string | null;
  origin: string;
  example: string;
  /** Null until a job has run with a store in DATA_DIR. */
  health: SourceHealth | null;
}

/**
 * Health per source, read from the store only when it exists: listing sources creates nothing.
 * An unusable database (corrupt, newer) costs the health columns, not the list: `warn` says why.
 */
async function readHealth(config: Config, warn: (message: string) => void): Promise<Map<string, SourceHealth>> {
  const [{ openEngineStore }, { listSourceHealth }] = await Promise.all([
    import('../../jobs/engine.ts'),
    import('../../jobs/source-health.ts'),
  ]);
  try {
    const store = await openEngineStore(config, { ifExists: true });
    if (store === null) return new Map();
    try {
      return new Map((await listSourceHealth(store.health)).map((h) => [h.source, h]));
    } finally {
      await store.close();
    }
  } catch (error) {
    warn(`source health unavailable: ${errorMessage(error)}`);
    return new Map();
  }
}

export async function sourceRows(config: Config, warn: (message: string) => void = () => {}): Promise<SourceRow[]> {
  const [{ SOURCES }, { originOf }] = await Promise.all([
    import('../../sources/index.ts'),
    import('../../sources/source.ts'),
  ]);
  const health = await readHealth(config, warn);
  return SOURCES.map((s) => {
    const configured = s.configured(config);
    return {
      id: s.id,
      name: s.displayName,
      kinds: [...s.kinds],
      key_variable: s.keyVariable ?? null,
      configured: configured.ok,
      reason: configured.ok ? null : configured.reason,
      origin: originOf(s, config),
      example: s.example,
      health: health.get(s.id) ?? null,
    };
  });
}

function healthCells(h: SourceHealth | null): string[] {
  const check = h?.last_check ? `${h.last_check.status} (${h.last_check.checked_at})` : '-';
  if (h === null || h.runs === 0) return ['-', '-', '-', check, ''];
  return [
    `${Math.round((h.success_rate ?? 0) * 100)}% of ${h.runs}`,
    h.avg_download_ms !== null ? formatDuration(h.avg_download_ms) : '-',
    h.cooling_until ?? '-',
    check,
    h.last_error ?? '',
  ];
}

/** Runs the checks with the job's settings, records them in the store, prints them; returns the exit code. */
async function runChecks(
  cli: CliContext,
  config: Config,
  ids: readonly JobSourceName[] | undefined,
  json: boolean,
): Promise<number> {
  const [{ checkSources, checkExitCode }, { openEngine }] = await Promise.all([
    import('../../jobs/source-check.ts'),
    import('../../jobs/engine.ts'),
  ]);
  // The checks record their outcome in the store; no job is started, none is marked interrupted.
  const engine = await openEngine(config, { interrupt: 'none', perceptualHashing: false });
  const { http, store } = engine;
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  try {
    const checks = await checkSources({
      config,
      http,
      store,
      ids: ids?.filter((id): id is SourceId => id !== 'urls'),
      signal: controller.signal,
    });
    if (json) {
      cli.stdout.write(
        `${JSON.stringify(
          checks.map(({ id, status, found, duration_ms, detail }) => ({ id, status, found, duration_ms, detail })),
          null,
          2,
        )}\n`,
      );
    } else {
      cli.stdout.write(
        formatTable(
          ['id', 'status', 'found', 'time', 'detail'],
          checks.map((c) => [
            c.id,
            c.status,
            String(c.found),
            formatDuration(c.duration_ms),
            escapeControlChars(c.detail),
          ]),
        ),
      );
    }
    return checkExitCode(checks);
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    await engine.close();
  }
}

export function registerSources(program: Command, cli: CliContext): void {
  program
    .command('sources')
    .description('list the sources: kinds, keys, configuration, origin and health')
    .option('--json', 'print the list as JSON on stdout')
    .option(
      '--check',
      'run one small real search per source (its example query, one page) and report ok, layout_changed, blocked, unreachable or not_configured',
    )
    .option('--sources <ids>', 'with --check: only these sources (comma-separated)', parseSources)
    .action(async (opts: { json?: boolean; check?: boolean; sources?: JobSourceName[] }) => {
      if (opts.sources && !opts.check) throw new ConfigError('--sources applies to --check only');
      if (opts.check) {
        cli.exitCode = await runChecks(cli, cliConfig(cli), opts.sources, opts.json === true);
        return;
      }
      const rows = await sourceRows(cliConfig(cli), (message) =>
        cli.stderr.write(`harvester: ${terminalLines(message)}\n`),
      );
      if (opts.json) {
        cli.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      cli.stdout.write(
        formatTable(
          [
            'id',
            'name',
            'kinds',
            'key',
            'configured',
            'origin',
            'success',
            'avg download',
            'cooling until',
            'last check',
            'last error',
          ],
          rows.map((r) => [
            r.id,
            r.name,
            r.kinds.join('+'),
            r.key_variable ?? '-',
            r.configured ? 'yes' : `no (${r.reason})`,
            r.origin,
            ...healthCells(r.health),
          ]),
        ),
      );
    });
}
