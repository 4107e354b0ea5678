// Security headers on every answer. The UI gets a strict Content-Security-Policy: scripts and
// styles only from our own bundle (no inline code), images and media only from our own file
// routes (thumbnails are the saved files, never hot-linked from sources), no framing. Saved
// files are served sandboxed, so even a file that turned out to be HTML or SVG cannot script.
//
// The policy follows what the route serves, never the answer's content type: a 304 of the page
// has no content type, and giving it the API's `sandbox` policy made a reloaded page (served
// from the browser's cache under the 304's headers) run without its scripts and styles.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OutgoingHttpHeaders } from 'node:http';

export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "media-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** For JSON, event streams and files: nothing may load or run from them. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

export const BASE_SECURITY_HEADERS: Readonly<OutgoingHttpHeaders> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), interest-cohort=()',
};

/** Headers for a response written by hand (an event stream hijacks the reply). */
export function apiSecurityHeaders(): OutgoingHttpHeaders {
  return { ...BASE_SECURITY_HEADERS, 'content-security-policy': API_CSP };
}

/** True for what the API serves (JSON, event streams, saved files, metrics); false for the UI's page and assets. */
function servesApi(request: FastifyRequest): boolean {
  // The matched route's pattern, so percent-encoding or dot segments in the target change nothing;
  // unmatched requests (404s) go by their path.
  const path = request.routeOptions.url ?? request.url.split('?')[0] ?? '';
  return path === '/api' || path.startsWith('/api/') || path === '/metrics';
}

/** The Content-Security-Policy for a request, by the route it reached. */
export function cspFor(request: FastifyRequest): string {
  return servesApi(request) ? API_CSP : UI_CSP;
}

export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    for (const [name, value] of Object.entries(BASE_SECURITY_HEADERS)) {
      if (value !== undefined && !reply.hasHeader(name)) reply.header(name, value);
    }
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', cspFor(request));
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
