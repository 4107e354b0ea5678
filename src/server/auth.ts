// Bearer-token authentication. With API_TOKEN configured, every route needs
// `Authorization: Bearer <token>` unless it declares itself open with `config: { public: true }`
// (/api/health, so a supervisor can probe readiness without the secret, and the UI's static
// files). The decision is made on the route the router matched, never on the raw request target:
// `/%61pi/jobs`, `http://host/api/jobs`, `/api/./jobs` and `//api/jobs` reach the same handler as
// `/api/jobs`, so they must meet the same check. A request that matched no route needs the token
// too, so that a 404 tells nothing about what exists.
// Routes a browser opens without headers (EventSource, <img>, a download link) mark themselves
// with `config: { queryToken: true }` and also accept `?access_token=`.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './error-handler.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Accept the token as `?access_token=` as well as in the Authorization header. */
    queryToken?: boolean;
    /** Open without a token even when API_TOKEN is set. */
    public?: boolean;
  }
}

/** Compares in constant time: both sides are hashed first so their lengths never leak either. */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Open routes: those that declared themselves public. Everything else, unmatched requests included, is protected. */
export function isPublicRoute(request: FastifyRequest): boolean {
  return request.routeOptions.url !== undefined && request.routeOptions.config?.public === true;
}

function presentedToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    return match ? match[1]! : null;
  }
  if (request.routeOptions.config?.queryToken) {
    const q = (request.query as Record<string, unknown> | undefined)?.access_token;
    if (typeof q === 'string') return q;
  }
  return null;
}

/** Whether the request carries the right token (always false without API_TOKEN). */
export function hasValidToken(request: FastifyRequest, apiToken: string | null): boolean {
  if (apiToken === null) return false;
  const token = presentedToken(request);
  return token !== null && tokenMatches(token, apiToken);
}

/**
 * Installs the token check. Matched routes get it as their own onRequest hook, added after the
 * rate limiter's (install this after registering the limiter), so refused requests are still
 * counted — in their own bucket; requests that matched no route get it from a global hook.
 */
export function installAuth(app: FastifyInstance, apiToken: string | null): void {
  if (apiToken === null) return;
  const check = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (isPublicRoute(request)) return;
    const token = presentedToken(request);
    if (token !== null && tokenMatches(token, apiToken)) return;
    const message = token === null ? 'missing bearer token (Authorization: Bearer <API_TOKEN>)' : 'invalid token';
    await reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .send(errorBody(401, 'UNAUTHORIZED', message));
  };
  app.addHook('onRoute', (route) => {
    const existing =
      route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [...existing, check];
  });
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) await check(request, reply);
  });
}
