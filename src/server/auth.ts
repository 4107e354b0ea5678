// Bearer-token authentication (DESIGN §3 API_TOKEN). With a token configured, every /api route
// and /metrics need `Authorization: Bearer <token>`; /api/health stays open so a supervisor or
// load balancer can probe readiness without the secret (it reveals nothing but liveness).
// Routes a browser opens without headers (EventSource, <img>, a download link) mark themselves
// with `config: { queryToken: true }` and also accept `?access_token=`.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
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

function needsToken(url: string): boolean {
  const path = url.split('?', 1)[0] ?? '';
  return path === '/api' || path.startsWith('/api/') || path === '/metrics';
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

export function installAuth(app: FastifyInstance, apiToken: string | null): void {
  if (apiToken === null) return;
  app.addHook('onRequest', async (request, reply) => {
    if (!needsToken(request.url) || request.routeOptions.config?.public) return;
    const token = presentedToken(request);
    if (token !== null && tokenMatches(token, apiToken)) return;
    const message = token === null ? 'missing bearer token (Authorization: Bearer <API_TOKEN>)' : 'invalid token';
    return reply.code(401).header('www-authenticate', 'Bearer').send(errorBody(401, 'UNAUTHORIZED', message));
  });
}
