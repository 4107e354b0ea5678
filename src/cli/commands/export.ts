// `harvester export <job> --format jsonl|csv|webdataset [--out DIR] [--shard-size N]
// [--attribution]`: a job's files as a data set that training code loads (see
// src/output/dataset/). DIR defaults to DOWNLOAD_DIR/<query-slug>-<job id prefix>-export/ and
// must be empty or absent; an unknown job, a bad flag or a used folder is a usage error (exit 2)
// and writes nothing. Files of the job that are gone from disk are left out and named, exit 3.
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError, EXIT, NotFoundError } from '../../core/errors.ts';
import { specQueries } from '../../core/types.ts';
import { querySlug } from '../../output/naming.ts';
import {
  DEFAULT_SHARD_SIZE,
  EXPORT_FORMATS,
  MAX_SHARD_SIZE,
  type ExportFormat,
} from '../../output/dataset/dataset-record.ts';
import type { CliContext } from '../context.ts';
import { cliConfig } from '../cli-config.ts';
import { terminalLines } from '../format.ts';
import { openExisting, resolveJobId } from './jobs.ts';

interface ExportFlags {
  format: ExportFormat;
  out?: string;
  shardSize?: number;
  attribution?: boolean;
}

function parseFormat(raw: string): ExportFormat {
  if (!EXPORT_FORMATS.includes(raw as ExportFormat)) {
    throw new InvalidArgumentError(
      `--format must be one of ${EXPORT_FORMATS.join(', ')} (got ${JSON.stringify(raw)}).`,
    );
  }
  return raw as ExportFormat;
}

function parseShardSize(raw: string): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > MAX_SHARD_SIZE) {
    throw new InvalidArgumentError(
      `--shard-size must be a whole number of samples from 1 to ${MAX_SHARD_SIZE} (got ${JSON.stringify(raw)}).`,
    );
  }
  return Number(raw);
}

/** The default export folder's name: the job's query and the start of its id (two jobs of one query do not collide). */
export function exportFolderName(query: string, jobId: string): string {
  return `${querySlug(query)}-${jobId.slice(0, 8)}-export`;
}

export function registerExport(program: Command, cli: CliContext): void {
  program
    .command('export')
    .description("write a job's files as a data set: imagefolder metadata (jsonl, csv) or webdataset shards")
    .argument('<job>', 'job id (or a unique prefix of at least 4 characters)')
    .requiredOption('--format <format>', `${EXPORT_FORMATS.join(', ')}`, parseFormat)
    .option('--out <dir>', 'an empty or new folder (default: DOWNLOAD_DIR/<query>-<job>-export)')
    .option('--shard-size <n>', `samples per webdataset shard (default ${DEFAULT_SHARD_SIZE})`, parseShardSize)
    .option('--attribution', 'also write ATTRIBUTION.md: title, author, page and licence of every file')
    .action(async (id: string, opts: ExportFlags) => {
      if (opts.shardSize !== undefined && opts.format !== 'webdataset') {
        throw new ConfigError('--shard-size applies only to --format webdataset');
      }
      if (opts.out !== undefined && opts.out.trim() === '') throw new ConfigError('--out needs a folder path');
      const config = cliConfig(cli);
      const store = await openExisting(config);
      if (store === null) {
        cli.stderr.write(`harvester: no job ${JSON.stringify(id)}: no job has run yet\n`);
        cli.exitCode = EXIT.usage;
        return;
      }
      let doc;
      let downloadDir = config.downloadDir;
      try {
        const jobId = await resolveJobId(store, id);
        doc = (await store.jobs.get(jobId))!;
        downloadDir = (await store.jobs.getSpec(jobId))?.options?.downloadDir ?? downloadDir;
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        cli.stderr.write(`harvester: ${terminalLines(error.message)}\n`);
        cli.exitCode = EXIT.usage;
        return;
      } finally {
        await store.close();
      }
      const dir =
        opts.out !== undefined
          ? resolve(cli.cwd, opts.out)
          : resolve(config.downloadDir, exportFolderName(doc.query, doc.job_id));
      const [{ exportDataset }, { openFileOutputs }] = await Promise.all([
        import('../../output/dataset/export-directory.ts'),
        import('../../jobs/engine.ts'),
      ]);
      const result = await exportDataset(doc.results.files, {
        format: opts.format,
        dir,
        shardSize: opts.shardSize ?? DEFAULT_SHARD_SIZE,
        attribution: opts.attribution === true,
        title: specQueries(doc).join(', '),
        output: (await openFileOutputs())(downloadDir),
      });
      for (const path of result.missing)
        cli.stderr.write(`harvester: left out ${terminalLines(path)}: no longer on disk\n`);
      const how =
        opts.format === 'webdataset'
          ? `${result.written.filter((n) => n.endsWith('.tar')).length} shard(s)`
          : result.copied > 0
            ? `${result.copied} copied, the rest hard-linked`
            : 'hard-linked';
      cli.stderr.write(
        `Exported ${result.files} file(s) of job ${doc.job_id} as ${opts.format} (${how}) to ${terminalLines(dir)}\n`,
      );
      cli.stdout.write(`${dir}\n`);
      cli.exitCode = result.missing.length > 0 ? EXIT.partial : EXIT.completed;
    });
}
