// The switchboard puts one fixed origin in front of a source (its `<ID>_BASE_URL`, fixed when
// a server starts) and lets each cell of the fault matrix decide, connection by connection,
// what is behind it: the fault server in some mode, the simulation, or nothing at all
// (connection refused: the listener is closed for the cell and reopened on the same port).
//
// It forwards raw TCP, so every misbehaviour of the fault server (silence, drip, reset,
// truncation) reaches the client as the fault server produced it; a reset upstream is
// passed on as a reset (`resetAndDestroy`), not as a clean close.
import { createHash } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import {
  request as httpRequest,
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
} from 'node:http';

export type SwitchTarget = { port: number } | 'refuse';

export interface Switch {
  port: number;
  origin: string;
  /** Where new connections go from now on (open connections keep theirs). */
  set(target: SwitchTarget): Promise<void>;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export async function startSwitch(initial: SwitchTarget): Promise<Switch> {
  let target = initial;
  let accepted = 0;
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const listen = async (): Promise<void> => {
    const s = createServer((client) => {
      accepted++;
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      if (target === 'refuse') {
        client.resetAndDestroy();
        return;
      }
      const upstream = connect(target.port, '127.0.0.1');
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      client.pipe(upstream);
      upstream.pipe(client);
      upstream.on('error', () => (client.destroyed ? undefined : client.resetAndDestroy()));
      client.on('error', () => upstream.destroy());
      // A reset upstream must stay a reset downstream; an orderly end stays an end (pipe does it).
      upstream.on('close', (hadError) => {
        if (hadError && !client.destroyed) client.resetAndDestroy();
      });
      client.on('close', () => upstream.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as { port: number }).port;
    server = s;
  };
  const unlisten = async (): Promise<void> => {
    const s = server;
    server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  if (target === 'refuse') await unlisten();
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    async set(next) {
      target = next;
      // Kept-alive connections would still lead to the old target: close them, so the next
      // request opens a new connection (and callers should set targets between jobs only).
      for (const s of sockets) s.destroy();
      if (next === 'refuse') await unlisten();
      else if (!server) await listen();
    },
    connections: () => accepted,
    async close() {
      for (const s of sockets) s.destroy();
      await unlisten();
    },
  };
}

export interface RewritingProxy {
  port: number;
  origin: string;
  /**
   * Where the simulation's media URLs in answers point from now on: `null` leaves them alone;
   * otherwise a function from the original media URL to the URL the cell wants.
   */
  setMedia(rewrite: ((mediaUrl: string, request: URL) => string) | null): void;
  /** A last edit of every text answer (hostile titles…), or null; `request` is what was asked. */
  setTransform(transform: ((text: string, request: URL) => string) | null): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of one simulated source that rewrites every media URL of the
 * simulation (`<sim origin>/__media/<name>`) in its answers — plain, JSON-escaped (`\/`) or
 * percent-encoded — so the real adapter parses a real answer whose media live elsewhere.
 */
export async function startRewritingProxy(simOrigin: string): Promise<RewritingProxy> {
  let rewrite: ((mediaUrl: string, request: URL) => string) | null = null;
  let transform: ((text: string, request: URL) => string) | null = null;
  const sim = new URL(simOrigin);
  const plain = new RegExp(`${escapeRe(simOrigin)}/__media/[A-Za-z0-9._%~-]+`, 'g');
  const escaped = new RegExp(`${escapeRe(simOrigin.replace(/\//g, '\\/'))}\\\\/__media\\\\/[A-Za-z0-9._%~-]+`, 'g');
  const encoded = new RegExp(
    `${escapeRe(encodeURIComponent(simOrigin + '/__media/'))}[A-Za-z0-9._%~-]+?(?=&|"|'|$|%26|\\s)`,
    'gi',
  );
  const server: HttpServer = createHttpServer((req, res) => {
    const upstream = httpRequest(
      {
        host: sim.hostname,
        port: sim.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: sim.host, 'accept-encoding': 'identity' },
      },
      (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          let body = Buffer.concat(chunks);
          const type = String(up.headers['content-type'] ?? '');
          if ((rewrite || transform) && /json|html|text|javascript/.test(type)) {
            let text = body.toString('utf8');
            const asked = new URL(req.url ?? '/', simOrigin);
            if (rewrite) {
              const r = (u: string): string => rewrite!(u, asked);
              text = text
                .replace(plain, (u) => r(u))
                .replace(escaped, (u) => r(u.replace(/\\\//g, '/')).replace(/\//g, '\\/'))
                .replace(encoded, (u) => encodeURIComponent(r(decodeURIComponent(u))));
            }
            if (transform) text = transform(text, asked);
            body = Buffer.from(text);
          }
          const headers = { ...up.headers, 'content-length': String(body.length) };
          delete headers['transfer-encoding'];
          res.writeHead(up.statusCode ?? 502, headers);
          res.end(body);
        });
        up.on('error', () => res.destroy());
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    setMedia: (next) => (rewrite = next),
    setTransform: (next) => (transform = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export interface ForwardProxy {
  origin: string;
  /** Every target the client asked the proxy for (`host:port`), in order. */
  targets: string[];
  close(): Promise<void>;
}

/**
 * A plain HTTP forward proxy (absolute-form requests and CONNECT) that only ever connects to
 * 127.0.0.1: any other target is answered 502 and recorded, so a cell can prove that a request
 * for a private address never left the client, and the harness itself never sends traffic
 * anywhere but loopback.
 */
export async function startForwardProxy(options: { virtualHost?: string } = {}): Promise<ForwardProxy> {
  const targets: string[] = [];
  // With a virtual host, only that (public-looking) address is served, mapped to 127.0.0.1 on
  // the same port; a request for anything else, loopback included, is refused and recorded.
  const served = (host: string): boolean =>
    options.virtualHost ? host === options.virtualHost : host === '127.0.0.1' || host === 'localhost';
  const server: HttpServer = createHttpServer((req, res) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form requests only');
      return;
    }
    targets.push(target.host);
    if (!served(target.hostname)) {
      res
        .writeHead(502, { 'content-type': 'text/plain' })
        .end(`reliability proxy: refusing to forward to ${target.host}`);
      return;
    }
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: target.port || 80,
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on('error', () => res.destroy());
        up.on('aborted', () => res.destroy());
      },
    );
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  // undici's proxy agent tunnels even http:// requests with CONNECT.
  const tunnels = new Set<Socket>();
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    targets.push(target);
    const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
    if (!served(host) || !port) {
      client.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    const upstream = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      tunnels.add(s);
      s.on('close', () => tunnels.delete(s));
    }
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('close', (hadError) => (hadError ? client.resetAndDestroy() : client.end()));
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    targets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of tunnels) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Six hex digits from the query a search asked with (`q` or `query`), the same for all its pages. */
export function querySalt(asked: URL): string {
  const q = asked.searchParams.get('q') ?? asked.searchParams.get('query') ?? '';
  return createHash('sha256').update(q).digest('hex').slice(0, 6);
}

/** Makes a JSON answer's ids unique to one query: UUIDs get a new first group, numbers a prefix. */
export function saltIds(text: string, salt: string): string {
  // Seven digits (about a million values) in front of ids of up to eight digits stays a safe integer.
  const digits = String(parseInt(salt.slice(0, 5), 16) + 1_000_000);
  return text
    .replace(/"id":(\s*)"[0-9a-f]{8}-/g, (_m, sp: string) => `"id":${sp}"${salt}00-`)
    .replace(/"id":(\s*)(\d+)/g, (_m, sp: string, n: string) => `"id":${sp}${digits}${n}`);
}
