// GET /api/jobs/:id/export?format=jsonl|csv|webdataset: a job as a data set, streamed while it
// is written. jsonl and csv send the imagefolder metadata file (file_name relative to the folder
// the job's files are laid out in, as `harvester export` lays them out); webdataset sends a tar
// of samples — every sample, or with `shard` the samples of that one shard of `shard_size`, as
// `harvester export` would number them. Files no longer on disk are left out.
import type { FastifyInstance } from 'fastify';
import { ConfigError, NotFoundError } from '../../core/errors.ts';
import {
  DEFAULT_SHARD_SIZE,
  EXPORT_FORMATS,
  MAX_SHARD_SIZE,
  METADATA_FILE,
  sampleKeys,
  type ExportFormat,
} from '../../output/dataset/dataset-record.ts';
import { metadataCsv, metadataJsonl, webdatasetShard, type LocatedFile } from '../../output/dataset/dataset-streams.ts';
import { shardName } from '../../output/dataset/export-directory.ts';
import { querySlug } from '../../output/naming.ts';
import { Readable } from 'node:stream';
import type { RouteDeps } from '../context.ts';
import { contentDisposition } from '../job-files.ts';
import {
  accessTokenProperty,
  commonErrorResponses,
  errorRef,
  integerParameter,
  jobIdParams,
} from '../schemas/common.ts';

const CONTENT_TYPES: Record<ExportFormat, string> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  webdataset: 'application/x-tar',
};

interface ExportQuery {
  format: ExportFormat;
  shard?: number;
  shard_size: number;
  access_token?: string;
}

export async function jobExportRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { jobs, output } = deps;

  app.get<{ Params: { id: string }; Querystring: ExportQuery }>(
    '/api/jobs/:id/export',
    {
      config: { queryToken: true },
      schema: {
        summary: 'A job as a data set',
        description:
          'jsonl: metadata.jsonl (Hugging Face imagefolder); csv: metadata.csv; webdataset: a tar of <key>.<ext>, <key>.json and <key>.txt per file (keys from the content hash, stable across exports). Streamed; files gone from disk are left out.',
        tags: ['files'],
        params: jobIdParams,
        querystring: {
          type: 'object',
          required: ['format'],
          additionalProperties: false,
          properties: {
            format: { type: 'string', enum: [...EXPORT_FORMATS], description: 'What to send' },
            shard: integerParameter(
              'webdataset only: send just this shard (from 0) of shard_size samples',
              0,
              10_000_000,
            ),
            shard_size: integerParameter(
              'webdataset only: samples per shard, with shard',
              1,
              MAX_SHARD_SIZE,
              DEFAULT_SHARD_SIZE,
            ),
            access_token: accessTokenProperty,
          },
        },
        response: {
          200: {
            description: 'The metadata file or the tar',
            content: {
              'application/x-ndjson': { schema: { type: 'string' } },
              'text/csv': { schema: { type: 'string' } },
              'application/x-tar': { schema: { type: 'string', format: 'binary' } },
            },
          },
          404: errorRef,
          ...commonErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { format, shard, shard_size: shardSize } = request.query;
      if (shard !== undefined && format !== 'webdataset')
        throw new ConfigError('shard: applies only to format=webdataset');
      const job = await jobs.get(id);
      if (!job) throw new NotFoundError(`job ${id} not found`);
      const located: LocatedFile[] = [];
      for (const file of job.results.files) {
        const stored = await output.open(file.path);
        if (stored) located.push({ file, stored });
      }
      const files = located.map((l) => l.file);
      const slug = querySlug(job.query);
      let body: AsyncIterable<Buffer | string>;
      let filename: string;
      if (format === 'webdataset') {
        const keys = sampleKeys(files);
        let samples = located.map((l, i) => ({ ...l, key: keys[i]! }));
        if (shard !== undefined) {
          if (shard * shardSize >= samples.length && shard > 0)
            throw new NotFoundError(
              `job ${id} has no shard ${shard} of ${shardSize} samples (it has ${samples.length} files)`,
            );
          samples = samples.slice(shard * shardSize, (shard + 1) * shardSize);
        }
        body = webdatasetShard(samples);
        filename = shard !== undefined ? `${slug}-${shardName(shard)}` : `${slug}.tar`;
      } else {
        body = format === 'jsonl' ? metadataJsonl(files) : metadataCsv(files);
        filename = METADATA_FILE[format];
      }
      return reply
        .type(CONTENT_TYPES[format])
        .header('content-disposition', contentDisposition('attachment', filename))
        .header('cache-control', 'private, no-store')
        .send(Readable.from(body));
    },
  );
}
