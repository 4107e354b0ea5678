// A job's saved files: one file (GET /api/jobs/:id/files/:n, with Range requests) and the whole
// job as a ZIP streamed while it is written (yazl), never held in memory. Paths come from the
// store and are opened through the file output, which refuses any that leaves its root.
import { basename } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ZipFile } from 'yazl';
import { NotFoundError } from '../../core/errors.ts';
import type { JobDocument } from '../../core/types.ts';
import type { RouteDeps } from '../context.ts';
import { contentDisposition, contentTypeOf, parseRange } from '../job-files.ts';
import {
  accessTokenProperty,
  commonErrorResponses,
  errorRef,
  integerParameter,
  jobIdParams,
  jobIdPattern,
} from '../schemas/common.ts';

/** Kinds of content a browser may show inline; anything else is offered as a download. */
const INLINE_TYPES = /^(image\/(jpeg|png|gif|webp|avif|bmp)|video\/(mp4|webm|quicktime))$/;

export async function jobFileRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { jobs, config, output } = deps;

  async function mustGet(id: string): Promise<JobDocument> {
    const doc = await jobs.get(id);
    if (!doc) throw new NotFoundError(`job ${id} not found`);
    return doc;
  }

  app.get<{ Params: { id: string; n: number }; Querystring: { access_token?: string; download?: '1' } }>(
    '/api/jobs/:id/files/:n',
    {
      // A job view shows one thumbnail per saved file, so file reads get ten times the API's budget.
      config: { queryToken: true, rateLimit: { max: Math.max(1, config.rateLimitPerMinute * 10) } },
      schema: {
        summary: 'One saved file of a job',
        description:
          "The n-th entry of the job document's results.files, with its sniffed Content-Type. Supports Range (206) and If-None-Match.",
        tags: ['files'],
        params: {
          type: 'object',
          required: ['id', 'n'],
          additionalProperties: false,
          properties: {
            id: { type: 'string', pattern: jobIdPattern, description: 'Job id' },
            n: integerParameter('Index of the file in results.files, from 0', 0, 10_000_000),
          },
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            access_token: accessTokenProperty,
            download: { type: 'string', enum: ['1'], description: 'Send as an attachment' },
          },
        },
        response: {
          200: {
            description: 'The file',
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
          206: {
            description: 'Part of the file',
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
          304: { type: 'null', description: 'Not modified' },
          404: errorRef,
          416: errorRef,
          ...commonErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const index = request.params.n;
      // One file read from the store, not the job's whole list (a job of any size: docs/ARCHITECTURE.md).
      const page = await jobs.files(id, { offset: index, limit: 1 });
      if (page === null) throw new NotFoundError(`job ${id} not found`);
      const file = page.files[0];
      if (!file) throw new NotFoundError(`job ${id} has no file ${index} (it has ${page.total})`);
      const found = await output.open(file.path);
      if (!found) {
        request.log.warn({ job: id, path: file.path }, 'file missing or outside DOWNLOAD_DIR');
        throw new NotFoundError(`file ${index} of job ${id} is not on disk`);
      }
      const type = contentTypeOf(file.path, file.mime);
      const etag = `"${found.size.toString(16)}-${Math.floor(found.mtimeMs).toString(16)}"`;
      const disposition = request.query.download === '1' || !INLINE_TYPES.test(type) ? 'attachment' : 'inline';
      void reply
        .header('content-type', type)
        .header('etag', etag)
        .header('accept-ranges', 'bytes')
        .header('last-modified', new Date(found.mtimeMs).toUTCString())
        .header('content-disposition', contentDisposition(disposition, basename(file.path)))
        // Saved files never change under the same ETag; private: they may be behind a token.
        .header('cache-control', 'private, max-age=3600');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      const ifRange = request.headers['if-range'];
      const range = ifRange === undefined || ifRange === etag ? parseRange(request.headers.range, found.size) : null;
      if (range === 'unsatisfiable') {
        void reply.header('content-range', `bytes */${found.size}`);
        return reply
          .code(416)
          .type('application/json; charset=utf-8')
          .send({
            statusCode: 416,
            error: 'Range Not Satisfiable',
            code: 'RANGE_NOT_SATISFIABLE',
            message: `range: ${String(request.headers.range)} is outside the file (${found.size} bytes)`,
            field: 'range',
          });
      }
      if (range) {
        void reply
          .code(206)
          .header('content-range', `bytes ${range.start}-${range.end}/${found.size}`)
          .header('content-length', range.end - range.start + 1);
        return reply.send(found.read(range));
      }
      void reply.header('content-length', found.size);
      return reply.send(found.read());
    },
  );

  app.get<{ Params: { id: string }; Querystring: { access_token?: string } }>(
    '/api/jobs/:id/archive.zip',
    {
      config: { queryToken: true },
      schema: {
        summary: 'Every file of a job as one ZIP',
        description:
          'Streamed while it is built; media are stored uncompressed (they are compressed already), plus job.json (the job document).',
        tags: ['files'],
        params: jobIdParams,
        querystring: { type: 'object', additionalProperties: false, properties: { access_token: accessTokenProperty } },
        response: {
          200: {
            description: 'A ZIP archive',
            content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } },
          },
          404: errorRef,
          ...commonErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const job = await mustGet(id);
      const zip = new ZipFile();
      // A file that vanishes or changes size mid-archive: cut the download (the client sees a
      // truncated ZIP, not a silently incomplete one) and keep the server up.
      zip.on('error', (error: Error) => {
        request.log.warn({ job: id, err: error }, 'archive aborted');
        (zip.outputStream as unknown as NodeJS.ReadableStream & { destroy(error?: Error): void }).destroy(error);
      });
      const used = new Set<string>();
      let added = 0;
      for (const file of job.results.files) {
        const found = await output.open(file.path);
        if (!found) continue;
        const name = uniqueName(`${file.source}/${basename(file.path)}`, used);
        // Opened only when yazl reaches the entry, so a large job does not hold every file open.
        zip.addReadStreamLazy(
          name,
          { compress: false, size: found.size, mtime: new Date(found.mtimeMs) },
          (callback) => {
            callback(null, found.read());
          },
        );
        added += 1;
      }
      zip.addBuffer(Buffer.from(`${JSON.stringify(job, null, 2)}\n`), 'job.json', { compress: true });
      zip.end();
      request.log.info({ job: id, files: added }, 'streaming archive');
      const slug =
        job.query
          .replace(/[^A-Za-z0-9]+/g, '-')
          .replace(/^-+|-+$/g, '')
          .slice(0, 40) || 'job';
      return reply
        .type('application/zip')
        .header('content-disposition', contentDisposition('attachment', `harvester-${slug}-${id.slice(0, 8)}.zip`))
        .send(zip.outputStream);
    },
  );
}

function uniqueName(name: string, used: Set<string>): string {
  let candidate = name;
  for (let i = 2; used.has(candidate); i++) {
    const dot = name.lastIndexOf('.');
    candidate = dot > name.lastIndexOf('/') ? `${name.slice(0, dot)}-${i}${name.slice(dot)}` : `${name}-${i}`;
  }
  used.add(candidate);
  return candidate;
}
