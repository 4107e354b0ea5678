// The web UI: static files of web-dist/ at `/`, and `/scraper` (the seed's address) redirecting there.
// The build names its assets by content hash, so those are cached for a year as immutable; the
// page itself is revalidated on every load (ETag), so a new build is picked up at once. The
// build's gzip and brotli copies are sent to browsers that accept them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { RouteDeps } from '../context.ts';

/** A content-hashed file of the build (`app.3f2a9c1b0d.js`, or its `.gz`/`.br` copy). */
const HASHED_ASSET = /\.[0-9a-f]{10}\.(?:js|css|svg|map)(?:\.gz|\.br)?$/;

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
    preCompressed: true,
    cacheControl: false,
    setHeaders(res, path) {
      res.raw.setHeader('cache-control', HASHED_ASSET.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
