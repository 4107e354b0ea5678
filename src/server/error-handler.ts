// The one error handler of the API: every error answer has the same JSON shape;
// validation failures name the field; statuses of our own errors come from httpStatusFor
// (src/core/errors.ts); 5xx answers never show internals (the detail goes to the log only).
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HarvesterError, QueueFullError, errorMessage, httpStatusFor } from '../core/errors.ts';
import { drainUnreadBody } from './unread-body.ts';
import { describeValidation, type SchemaError } from './validation-errors.ts';

export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
  field?: string;
}

export function errorBody(statusCode: number, code: string, message: string, field?: string): ErrorBody {
  const body: ErrorBody = { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', code, message };
  if (field !== undefined) body.field = field;
  return body;
}

/** Fastify's own request errors that are the client's fault, with our code for each. */
const FASTIFY_CLIENT_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_CONTENT_LENGTH',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

export function toErrorBody(error: FastifyError | Error, log?: FastifyRequest['log']): ErrorBody {
  const fe = error as FastifyError & { validation?: SchemaError[]; validationContext?: string };
  if (Array.isArray(fe.validation)) {
    const problem = describeValidation(fe.validation, fe.validationContext ?? 'body');
    return errorBody(400, 'VALIDATION', problem.message, problem.field);
  }
  if (error instanceof HarvesterError) {
    const status = httpStatusFor(error);
    if (status < 500) {
      const field = (error as { field?: unknown }).field;
      return errorBody(
        status,
        error.code === 'CONFIG_INVALID' && typeof field === 'string' ? 'VALIDATION' : error.code,
        errorMessage(error),
        typeof field === 'string' ? field : undefined,
      );
    }
    // A full queue is the client's cue to come back, not an internal failure: its message says so.
    if (error instanceof QueueFullError) return errorBody(status, error.code, errorMessage(error));
    log?.error({ err: error }, 'request failed');
    return errorBody(status, error.code, status === 503 ? 'service unavailable' : 'internal error');
  }
  const status = typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 600 ? fe.statusCode : 500;
  if (status < 500) {
    const code = (fe.code && FASTIFY_CLIENT_CODES[fe.code]) ?? (status === 429 ? 'RATE_LIMITED' : 'BAD_REQUEST');
    let message = errorMessage(error);
    if (code === 'INVALID_JSON') message = `body: not valid JSON (${message})`;
    if (code === 'BODY_TOO_LARGE') message = 'body: too large';
    return errorBody(status, code, message, code === 'INVALID_JSON' || code === 'BODY_TOO_LARGE' ? 'body' : undefined);
  }
  log?.error({ err: error }, 'request failed');
  return errorBody(status, 'INTERNAL', 'internal error');
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const body = toErrorBody(error, request.log);
    if (body.statusCode === 401) void reply.header('www-authenticate', 'Bearer');
    if (error instanceof QueueFullError) void reply.header('retry-after', String(error.retryAfterS));
    drainUnreadBody(request, reply);
    void reply.code(body.statusCode).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    drainUnreadBody(request, reply);
    void reply.code(404).send(errorBody(404, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
}
