// `harvester sources [--json]`: every source — id, name, kinds, the key it needs, whether it is
// configured, its origin — and, once jobs have run, its health (success rate, average download
// time, last error, cooling until) from the store.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../../core/config.ts';
import { errorMessage } from '../../core/errors.ts';
import type { SourceHealth } from '../../store/store.ts';
import { cliConfig } from '../cli-config.ts';
import type { CliContext } from '../context.ts';
import { formatDuration, formatTable, terminalLines } from '../format.ts';

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
  const { databasePath, openStore } = await import('../../store/open.ts');
  if (!existsSync(databasePath(config))) return new Map();
  try {
    const store = await openStore(config);
    try {
      return new Map((await store.listSourceHealth()).map((h) => [h.source, h]));
    } finally {
      await store.close();
    }
  } catch (error) {
    warn(`source health unavailable: ${errorMessage(error)}`);
    return new Map();
  }
}

export async function sourceRows(config: Config, warn: (message: string) => void = () => {}): Promise<SourceRow[]> {
  const [{ SOURCES }, { originOf }] = await Promise.all([import('../../sources/index.ts'), import('../../sources/source.ts')]);
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
  if (h === null || h.runs === 0) return ['-', '-', '-', ''];
  return [
    `${Math.round((h.success_rate ?? 0) * 100)}% of ${h.runs}`,
    h.avg_download_ms !== null ? formatDuration(h.avg_download_ms) : '-',
    h.cooling_until ?? '-',
    h.last_error ?? '',
  ];
}

export function registerSources(program: Command, cli: CliContext): void {
  program
    .command('sources')
    .description('list the sources: kinds, keys, configuration, origin and health')
    .option('--json', 'print the list as JSON on stdout')
    .action(async (opts: { json?: boolean }) => {
      const rows = await sourceRows(cliConfig(cli), (message) => cli.stderr.write(`harvester: ${terminalLines(message)}\n`));
      if (opts.json) {
        cli.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      cli.stdout.write(
        formatTable(
          ['id', 'name', 'kinds', 'key', 'configured', 'origin', 'success', 'avg download', 'cooling until', 'last error'],
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
