// The simulation: one local HTTP server per source, answering the real service's paths with
// recorded responses (see ./sim/), plus a media route that serves small valid files. It is what
// `harvester demo` and `serve --demo` run against, and what the tests use to stand in for the internet.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { envPrefix } from '../core/config.ts';
import type { MediaKind, SourceId } from '../core/types.ts';
import { makeMp4, makePicture } from './media.ts';
import { generatedResults, type GeneratedResults } from './sim/generated.ts';
import { SIM_SOURCES } from './sim/index.ts';
import type { SimHelpers, SimSource } from './sim/types.ts';

/** Where the recorded fixtures live (fixtures/ at the package root). */
export const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/', import.meta.url));

const fixtureCache = new Map<string, string>();
export function readFixture(path: string): string {
  let text = fixtureCache.get(path);
  if (text === undefined) {
    text = readFileSync(join(FIXTURES_DIR, path), 'utf8');
    fixtureCache.set(path, text);
  }
  return text;
}

export interface SimulationOptions {
  /** Sources to simulate (default: all). */
  sources?: readonly SourceId[];
  /** Sources whose server accepts connections and never answers (the seed's hanging source). */
  hang?: readonly SourceId[];
  /** Delay before every answer, ms (default 0). */
  latencyMs?: number;
  /**
   * The bytes of a media file instead of the default small one (tests: the same picture at two
   * sizes, files smaller than their candidate claims); `name` is the media route's file name.
   */
  media?: (name: string, source: SourceId) => { body: Buffer; type: string; delayMs?: number } | undefined;
  /**
   * Benchmarks: every image search finds this many distinct pictures per query instead of the
   * recorded few — copies of the source's recorded items, each with its own id and media files
   * (./sim/generated.ts). Only for sources whose simulation generates (openverse, pexels, pixabay,
   * wikimedia_commons, nasa_images); other requests answer as recorded. Default: off.
   */
  generated?: number;
}

export interface Simulation {
  /** Origin of each simulated source. */
  origins: Partial<Record<SourceId, string>>;
  /** `<ID>_BASE_URL` for each source, plus ALLOW_PRIVATE_NETWORKS=true and demo keys. */
  env: Record<string, string>;
  /** Requests each source received (path and query), for tests. */
  requests: Partial<Record<SourceId, string[]>>;
  close(): Promise<void>;
}

const MEDIA_PREFIX = '/__media/';

export async function startSimulation(options: SimulationOptions = {}): Promise<Simulation> {
  const wanted = new Set(options.sources ?? SIM_SOURCES.map((s) => s.id));
  const hang = new Set(options.hang ?? []);
  if (options.generated !== undefined) {
    const cannot = SIM_SOURCES.filter((s) => wanted.has(s.id) && !s.generates).map((s) => s.id);
    if (cannot.length > 0) throw new Error(`generated answers are not simulated for ${cannot.join(', ')}`);
  }
  const servers: { server: Server; sockets: Set<Socket> }[] = [];
  const origins: Simulation['origins'] = {};
  const requests: Simulation['requests'] = {};
  const env: Record<string, string> = {
    ALLOW_PRIVATE_NETWORKS: 'true',
    UNSPLASH_ACCESS_KEY: 'demo-unsplash-key',
    PEXELS_API_KEY: 'demo-pexels-key',
    PIXABAY_API_KEY: 'demo-pixabay-key',
  };
  try {
    for (const sim of SIM_SOURCES) {
      if (!wanted.has(sim.id)) continue;
      const log: string[] = [];
      requests[sim.id] = log;
      const generated = options.generated === undefined ? undefined : generatedResults(sim.id, options.generated);
      const sockets = new Set<Socket>();
      const server = createServer((req, res) => {
        log.push(req.url ?? '');
        if (hang.has(sim.id)) return; // accept, read, never answer
        const answer = (): void => void serve(sim, req, res, origins[sim.id]!, options.media, generated);
        if (options.latencyMs) setTimeout(answer, options.latencyMs);
        else answer();
      });
      server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push({ server, sockets });
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      origins[sim.id] = origin;
      env[`${envPrefix(sim.id)}_BASE_URL`] = origin;
    }
  } catch (error) {
    await closeAll(servers);
    throw error;
  }
  return { origins, env, requests, close: () => closeAll(servers) };
}

async function closeAll(servers: { server: Server; sockets: Set<Socket> }[]): Promise<void> {
  await Promise.all(
    servers.map(
      ({ server, sockets }) =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
    ),
  );
}

async function serve(
  sim: SimSource,
  req: IncomingMessage,
  res: ServerResponse,
  origin: string,
  media: SimulationOptions['media'],
  generated: GeneratedResults | undefined,
): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname.startsWith(MEDIA_PREFIX)) {
      const name = decodeURIComponent(url.pathname.slice(MEDIA_PREFIX.length));
      const video = name.endsWith('.mp4');
      const given = media?.(name, sim.id);
      const body = given?.body ?? (video ? makeMp4(name) : makePicture(name));
      const type = given?.type ?? (video ? 'video/mp4' : 'image/png');
      // A slow file (tests: a copy still downloading when a better one is found).
      if (given?.delayMs) await new Promise((resolve) => setTimeout(resolve, given.delayMs));
      if (res.destroyed) return;
      res.writeHead(200, { 'content-type': type, 'content-length': body.length });
      res.end(body);
      return;
    }
    const helpers: SimHelpers = {
      origin,
      mediaUrl: (key: string, kind: MediaKind) =>
        `${origin}${MEDIA_PREFIX}${encodeURIComponent(key.replace(/[^A-Za-z0-9_-]+/g, '-'))}.${kind === 'video' ? 'mp4' : 'png'}`,
      fixture: readFixture,
      ...(generated && { generated }),
    };
    const answer = await sim.handle(
      { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers },
      helpers,
    );
    const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
    res.writeHead(answer.status ?? 200, { 'content-length': body.length, ...answer.headers });
    res.end(body);
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(`simulation error: ${(error as Error).message}`);
  }
}
