// Security headers on every answer. The UI gets a strict Content-Security-Policy: scripts and
// styles only from our own bundle (no inline code), images and media only from our own file
// routes (thumbnails are the saved files, never hot-linked from sources), no framing. Saved
// files are served sandboxed, so even a file that turned out to be HTML or SVG cannot script.
import type { FastifyInstance } from 'fastify';
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

export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    for (const [name, value] of Object.entries(BASE_SECURITY_HEADERS)) {
      if (value !== undefined && !reply.hasHeader(name)) reply.header(name, value);
    }
    if (!reply.hasHeader('content-security-policy')) {
      const type = String(reply.getHeader('content-type') ?? '');
      reply.header('content-security-policy', type.startsWith('text/html') ? UI_CSP : API_CSP);
    }
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
