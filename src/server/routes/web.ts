// The web UI: static files of web-dist/ at `/`, and `/scraper` (the seed's address) redirecting there.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { RouteDeps } from '../context.ts';

export async function webRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  // The UI's own files are open even with API_TOKEN (the page asks for the token itself), and are
  // not API requests for the rate limiter.
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), public: true };
  });
  app.get('/scraper', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/', 301));

  const root = deps.webRoot;
  if (root === null || !existsSync(join(root, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The web UI is not built. Run `npm run build:web` (npm ci does it), then restart `harvester serve`.\n'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: ['index.html'],
    wildcard: false,
    // The bundle is rebuilt in place; revalidate instead of trusting a stale copy.
    cacheControl: true,
    maxAge: 0,
    immutable: false,
    setHeaders(res, path) {
      if (path.endsWith('.html')) res.raw.setHeader('cache-control', 'no-cache');
    },
  });
}
