// GET /api/logs: the tail of the download log, optionally only from a level up, and
// only what was appended since an earlier answer (the UI's "follow").
import type { FastifyInstance } from 'fastify';
import { LOG_LEVELS, type LogLevel } from '../../core/log-lines.ts';
import { tailLog } from '../../log/log-tail.ts';
import type { RouteDeps } from '../context.ts';
import { commonErrorResponses, integerParameter } from '../schemas/common.ts';

const LINES_MAX = 5000;
const LINES_DEFAULT = 200;

export async function logRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  app.get<{ Querystring: { lines: number; level?: LogLevel; errors?: boolean; since?: number } }>(
    '/api/logs',
    {
      schema: {
        summary: 'The end of the download log',
        description:
          'Lines of LOG_DIR/download_errors.log, oldest first. `level=ERROR` keeps ERROR and CRITICAL lines; `errors=true` also keeps FAILED lines of lower levels (a skipped source).',
        tags: ['logs'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            lines: integerParameter('Most lines', 1, LINES_MAX, LINES_DEFAULT),
            level: { type: 'string', enum: [...LOG_LEVELS], description: 'Only lines of this level or more severe' },
            errors: {
              type: 'boolean',
              description:
                'Only error lines, as `harvester logs --errors` shows them: ERROR and CRITICAL lines and every FAILED or TIMEOUT line',
            },
            since: integerParameter(
              'Only lines appended after this byte offset (the `size` of an earlier answer)',
              0,
              Number.MAX_SAFE_INTEGER,
            ),
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['lines', 'size', 'reset'],
            properties: {
              lines: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['ts', 'level', 'message'],
                  properties: {
                    ts: { type: ['string', 'null'] },
                    level: { type: ['string', 'null'] },
                    message: { type: 'string' },
                  },
                },
              },
              size: { type: 'integer', description: 'Byte offset to pass as `since` to follow the log' },
              reset: { type: 'boolean', description: 'The log rotated since `since`: these lines are a fresh tail' },
            },
          },
          ...commonErrorResponses,
        },
      },
    },
    async (request) => {
      const { lines, level, errors, since } = request.query;
      return tailLog(deps.logFile, { lines, minLevel: level, errorsOnly: errors, sinceOffset: since });
    },
  );
}
