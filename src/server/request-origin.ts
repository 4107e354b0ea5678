// Where a request comes from: the `Host` it names and, for state-changing requests, the site
// that sent it.
//
// Host: a web page can make a browser send requests to a loopback server through a name it
// controls (DNS rebinding: evil.example first resolves to the attacker, then to 127.0.0.1), and
// the browser then treats the answers as the attacker's own origin. Answering only the names
// this server is known by — loopback names, the address it binds and ALLOWED_HOSTS — defeats it.
//
// Origin: a page on another site can still send a "simple" cross-site POST (a form, or fetch in
// no-cors mode) with or without a body; the browser labels it with `Origin` and
// `Sec-Fetch-Site`, so state-changing methods from another origin are refused. Requests with
// neither header are not a browser's (curl, scripts, server-side clients) and pass.
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorBody } from './error-handler.ts';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface HostPolicy {
  /** The address the server binds (HOST / --host). */
  host: string;
  /** ALLOWED_HOSTS, lower case, each `name` or `name:port`. */
  allowedHosts: readonly string[];
}

interface HostPort {
  name: string;
  port: string | null;
}

/** `Example.COM:8080` → {example.com, 8080}; `[::1]:80` → {::1, 80}; null when it is not a host. */
export function parseHostHeader(value: string): HostPort | null {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+))(?::(\d{1,5}))?$/.exec(value.trim());
  if (!match) return null;
  const name = (match[1] ?? match[2] ?? '').toLowerCase().replace(/\.$/, '');
  if (match[1] !== undefined && isIP(name) !== 6) return null;
  return { name, port: match[3] ?? null };
}

function isLoopbackName(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  return name === '::1';
}

function isWildcard(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '0.0.0.0' || h === '::' || h === '';
}

/** The addresses of this machine's interfaces (what a wildcard bind answers on). */
function interfaceAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) out.add(entry.address.toLowerCase().replace(/%.*$/, ''));
  }
  return out;
}

/** Decides whether a `Host` value names this server. */
export function hostMatcher(policy: HostPolicy): (value: string) => boolean {
  const bound = policy.host.replace(/^\[|\]$/g, '').toLowerCase();
  const local = isWildcard(bound) ? interfaceAddresses() : new Set([bound]);
  const allowed = allowedEntries(policy);
  return (value) => {
    const parsed = parseHostHeader(value);
    if (!parsed) return false;
    if (isLoopbackName(parsed.name) || local.has(parsed.name)) return true;
    return allowed.some((entry) => entry.name === parsed.name && (entry.port === null || entry.port === parsed.port));
  };
}

function allowedEntries(policy: HostPolicy): HostPort[] {
  return policy.allowedHosts
    .map((entry) => parseHostHeader(entry))
    .filter((entry): entry is HostPort => entry !== null);
}

/**
 * Decides whether a state-changing request may go on: null when it may, else why not. The
 * page's origin must be the server's own (the Host it was reached by, in either scheme, since a
 * TLS proxy may stand in front) or an ALLOWED_HOSTS entry's (its port, or the scheme's default).
 */
export function crossSiteChecker(
  policy: HostPolicy,
): (request: Pick<FastifyRequest, 'method' | 'headers'>) => string | null {
  const allowed = allowedEntries(policy);
  return (request) => {
    if (!STATE_CHANGING.has(request.method)) return null;
    const fetchSite = request.headers['sec-fetch-site'];
    if (typeof fetchSite === 'string' && fetchSite.trim().toLowerCase() === 'cross-site') {
      return 'cross-site request refused (Sec-Fetch-Site: cross-site)';
    }
    const origin = request.headers.origin;
    if (origin === undefined) return null;
    const refusal = `cross-site request refused: Origin ${JSON.stringify(origin)} is not this server's`;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return refusal;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return refusal;
    const own = parseHostHeader(request.headers.host ?? '');
    const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
    const name = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (own && own.name === name && (own.port ?? '80') === port) return null;
    if (own && own.name === name && url.protocol === 'https:' && own.port === null) return null;
    if (allowed.some((entry) => entry.name === name && (entry.port ?? port) === port)) return null;
    return refusal;
  };
}

/** Refuses unknown `Host` names (421) and cross-site state-changing requests (403), before anything else runs. */
export function installRequestOrigin(app: FastifyInstance, policy: HostPolicy): void {
  const isKnownHost = hostMatcher(policy);
  const crossSiteRefusal = crossSiteChecker(policy);
  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host;
    // HTTP/1.0 without Host: no browser sends that, so no page can be behind it.
    if (host !== undefined && !isKnownHost(host)) {
      return reply
        .code(421)
        .send(
          errorBody(
            421,
            'UNKNOWN_HOST',
            `this server does not answer to Host ${JSON.stringify(host)}; add the name to ALLOWED_HOSTS to use it`,
          ),
        );
    }
    const refusal = crossSiteRefusal(request);
    if (refusal !== null) return reply.code(403).send(errorBody(403, 'CROSS_SITE', refusal));
  });
}
