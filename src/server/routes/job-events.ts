// GET /api/jobs/:id/events: the job's runner events as Server-Sent Events (see ../event-stream.ts).
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../core/errors.ts';
import { RUNNER_EVENT_TYPES } from '../../core/events.ts';
import { FieldError, type RouteDeps } from '../context.ts';
import { startEventStream, type EventStream } from '../event-stream.ts';
import {
  accessTokenProperty,
  commonErrorResponses,
  errorRef,
  integerParameter,
  jobIdParams,
} from '../schemas/common.ts';
import { isActiveStatus } from '../../core/job-actions.ts';
import { apiSecurityHeaders } from '../security-headers.ts';

const STREAM_DESCRIPTION = [
  'Every runner event of the job under its name (`event: file_saved`), with `id: <seq>` and the event as JSON in `data:`,',
  "from the job's start or after `Last-Event-ID`, then live; the stream ends after `job_finished`.",
  "Every event carries `run`: 1 for the job's first run, 2, 3… for each retry or resume, each run ending with its own `job_finished`.",
  'A stream opened on a retried or resumed job replays the earlier runs and ends after the `job_finished` of the run that was live',
  'when it opened (for an ended job: its last run); a client that stops on `job_finished` should compare its `run`.',
  'For a job that ended before this server started, one `job_finished` carries the job document.',
  'Comments (`: keep-alive`) keep idle connections open. 204 when the client has already seen the end.',
  `Event names: ${RUNNER_EVENT_TYPES.join(', ')}.`,
].join(' ');

export async function jobEventRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const open = new Set<EventStream>();
  // Open streams per client address: each holds a socket and a store subscription, so one client
  // cannot take them all.
  const perClient = new Map<string, number>();
  // Streams never end by themselves while a job runs; close them so the server can stop.
  app.addHook('preClose', async () => {
    for (const stream of open) stream.close();
  });

  app.get<{
    Params: { id: string };
    Querystring: { after?: number; access_token?: string };
    Headers: { 'last-event-id'?: string };
  }>(
    '/api/jobs/:id/events',
    {
      config: { queryToken: true },
      schema: {
        summary: 'Live events of a job (Server-Sent Events)',
        description: STREAM_DESCRIPTION,
        tags: ['jobs'],
        params: jobIdParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            after: integerParameter(
              'Send events after this seq (like Last-Event-ID, for clients that cannot set headers)',
              0,
              Number.MAX_SAFE_INTEGER,
            ),
            access_token: accessTokenProperty,
          },
        },
        headers: {
          type: 'object',
          // An SSE event id is text by definition; ours are the events' seq numbers.
          properties: {
            'last-event-id': {
              type: 'string',
              pattern: '^(0|[1-9][0-9]{0,15})$',
              description: 'The id (seq) of the last event received; the stream resumes after it',
            },
          },
        },
        response: {
          200: { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          204: { type: 'null', description: 'The job has ended and the client has seen its last event' },
          404: errorRef,
          ...commonErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const fromHeader = request.headers['last-event-id'];
      const raw = fromHeader ?? request.query.after;
      const afterSeq = raw === undefined ? 0 : Number(raw);
      if (!Number.isSafeInteger(afterSeq))
        throw new FieldError(fromHeader !== undefined ? 'last-event-id' : 'after', 'is too large');
      const job = await deps.jobs.get(id, { files: 0 });
      if (!job) throw new NotFoundError(`job ${id} not found`);
      if (afterSeq > 0 && !isActiveStatus(job.status)) {
        // A finished job whose last event the client already has: 204 tells EventSource to stop
        // reconnecting. The client has it when nothing follows its seq and that seq was the
        // `job_finished` (stored, or made up by us for a job that ended before this server ran).
        const around = await deps.jobs.history(id, afterSeq - 1);
        const last = around[around.length - 1];
        if (around.length === 0 || (around.length === 1 && last?.type === 'job_finished'))
          return reply.code(204).send();
      }

      const client = request.ip;
      const held = perClient.get(client) ?? 0;
      if (held >= deps.maxStreamsPerClient) {
        const message = `this client already has ${held} event streams open (at most ${deps.maxStreamsPerClient}); close one first`;
        throw Object.assign(new Error(message), { statusCode: 429 });
      }
      perClient.set(client, held + 1);
      const release = (): void => {
        const left = (perClient.get(client) ?? 1) - 1;
        if (left <= 0) perClient.delete(client);
        else perClient.set(client, left);
      };

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...apiSecurityHeaders(),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store, no-transform',
        connection: 'keep-alive',
        // nginx buffers proxied responses unless told not to, which would hold events back.
        'x-accel-buffering': 'no',
      });
      res.flushHeaders();
      const stream = startEventStream(res, {
        jobs: deps.jobs,
        jobId: id,
        afterSeq,
        heartbeatMs: deps.heartbeatMs,
        maxBufferedBytes: 8 * 1024 * 1024,
        retryMs: 2000,
      });
      open.add(stream);
      void stream.done.then(() => {
        open.delete(stream);
        release();
      });
    },
  );
}
