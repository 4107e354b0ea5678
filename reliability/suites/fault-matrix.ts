// The fault matrix: every fault the fault server can produce, plus DNS failure
// and connection refused, × each phase (the search request of a source; the media downloads
// of a source whose answer points at misbehaving URLs) × each face (the real CLI process;
// a job submitted to the real server with POST /api/jobs). Each cell checks the job's time
// against its bound (the source's deadline + 1 s), the source's status and error text, that
// no `.part` remains, that disk and database agree, and (server face) that the process stays
// up, answers /api/health, and its memory comes back to its level.
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { envPrefix } from '../../src/core/config.ts';
import type { JobDocument, JobSourceName, SourceId } from '../../src/core/types.ts';
import { startSimulation, type Simulation } from '../../src/demo/sim-server.ts';
import { startFaultServer, type FaultServer } from '../../test/helpers/fault-server.ts';
import { parseJsonOutput, runCli } from '../lib/cli.ts';
import { checkAgreement, compareRecords, integrityCheck, recordedFromDb, recordedFromDocs } from '../lib/disk-state.ts';
import { ROOT, makeSandbox, type Sandbox } from '../lib/paths.ts';
import { isAlive, sampleProcess } from '../lib/proc-stats.ts';
import { api, readMetrics, startServer, waitForJob, type ServerProcess } from '../lib/server.ts';
import { INSPECT_OPTIONS, collectGarbage, inspectorUrlOf, metric } from '../lib/inspector-gc.ts';
import {
  closedPort,
  startForwardProxy,
  startRewritingProxy,
  startSwitch,
  type ForwardProxy,
  type RewritingProxy,
  type Switch,
} from '../lib/switchboard.ts';

export type Phase = 'search' | 'media';
export type Face = 'cli' | 'server';

/** How a fault is injected in one phase: a fault-server route, or a network-level failure. */
export interface Injection {
  /** Route of the fault server (path and query); a function when it must be made at injection time (an HTTP-date). */
  route?: string | (() => string);
  /** `refuse`: nothing listens; `dns`: a `.invalid` host name; `private`: the guard is on and the route redirects to a private address. */
  special?: 'refuse' | 'dns' | 'private';
  /** Source whose search phase misbehaves (default openverse). */
  source?: SourceId;
  /** What the source's error must say. */
  expect: RegExp;
}

export interface Fault {
  id: string;
  label: string;
  search?: Injection;
  media?: Injection;
  /** Why a phase does not apply. */
  na?: Partial<Record<Phase, string>>;
}

const PRIVATE_TARGET = 'http://169.254.169.254/latest/meta-data/';
/** A host name that cannot resolve anywhere (RFC 6761). */
const DNS_HOST = 'search.harvester-reliability.invalid';
const DNS_MEDIA_HOST = 'media.harvester-reliability.invalid';

/** Counts media-phase injections (fresh candidate ids per cell). */
let cellCounter = 0;

/** The fault server's port, for routes that redirect back to it by another name. */
let currentFaultPort = 0;

/** An HTTP-date a little in the future (Retry-After in its second form). */
function httpDate(secondsAhead: number): string {
  return new Date(Date.now() + secondsAhead * 1000).toUTCString();
}

export function faults(): Fault[] {
  const timeout = /Timeout/i;
  return [
    {
      id: 'hang',
      label: 'accept and never answer',
      search: { route: '/hang', expect: timeout },
      media: { route: '/hang', expect: timeout },
    },
    {
      id: 'headers-silence',
      label: 'headers, then silence',
      search: { route: '/headers-then-silence', expect: timeout },
      media: { route: '/headers-then-silence', expect: /Timeout|stall/i },
    },
    {
      id: 'drip',
      label: 'drip one byte a second',
      search: { route: '/drip?bytes=1&intervalMs=1000', expect: timeout },
      media: { route: '/drip?bytes=1&intervalMs=1000', expect: /Timeout|stall/i },
    },
    {
      id: 'reset',
      label: 'reset mid-body',
      search: { route: '/reset?after=2000', expect: /reset|ECONNRESET|socket|closed|terminated/i },
      media: { route: '/reset?after=2000', expect: /reset|ECONNRESET|socket|closed|terminated/i },
    },
    {
      id: 'truncated',
      label: 'body shorter than Content-Length',
      search: { route: '/truncated?declared=20000&sent=700', expect: /truncat|closed|short|premature|terminated/i },
      media: { route: '/truncated?declared=20000&sent=700', expect: /truncat|closed|short|premature|terminated/i },
    },
    {
      id: '500',
      label: 'HTTP 500',
      search: { route: '/status/500', expect: /HTTP 500/ },
      media: { route: '/status/500', expect: /HTTP 500/ },
    },
    {
      id: '503-seconds',
      label: '503, Retry-After: 1 (seconds)',
      search: { route: '/status/503?retryAfter=1', expect: /HTTP 503/ },
      media: { route: '/status/503?retryAfter=1', expect: /HTTP 503/ },
    },
    {
      id: '503-date',
      label: '503, Retry-After as an HTTP-date',
      search: { route: () => `/status/503?retryAfter=${encodeURIComponent(httpDate(1))}`, expect: /HTTP 503/ },
      media: { route: () => `/status/503?retryAfter=${encodeURIComponent(httpDate(1))}`, expect: /HTTP 503/ },
    },
    {
      id: '429-seconds',
      label: '429, Retry-After: 1 (seconds)',
      search: { route: '/status/429?retryAfter=1', expect: /HTTP 429/ },
      media: { route: '/status/429?retryAfter=1', expect: /HTTP 429/ },
    },
    {
      id: '429-date',
      label: '429, Retry-After as an HTTP-date',
      search: { route: () => `/status/429?retryAfter=${encodeURIComponent(httpDate(1))}`, expect: /HTTP 429/ },
      media: { route: () => `/status/429?retryAfter=${encodeURIComponent(httpDate(1))}`, expect: /HTTP 429/ },
    },
    {
      id: 'redirect-loop',
      label: 'redirect loop',
      search: { route: '/redirect-loop/a', expect: /redirect/i },
      media: { route: '/redirect-loop/a', expect: /redirect/i },
    },
    {
      id: 'redirect-private',
      label: `redirect to a private address (${PRIVATE_TARGET}), guard on`,
      search: { special: 'private', route: `/redirect?to=${encodeURIComponent(PRIVATE_TARGET)}`, expect: /private/i },
      media: { special: 'private', route: `/redirect?to=${encodeURIComponent(PRIVATE_TARGET)}`, expect: /private/i },
    },
    {
      id: 'redirect-private-name',
      label: 'redirect to a private address by name (http://localhost:<port>/), guard on',
      search: {
        special: 'private',
        route: () =>
          `/redirect?to=${encodeURIComponent(`http://localhost:${currentFaultPort}/ok.png?key=private-name`)}`,
        expect: /private/i,
      },
      media: {
        special: 'private',
        route: () =>
          `/redirect?to=${encodeURIComponent(`http://localhost:${currentFaultPort}/ok.png?key=private-name`)}`,
        expect: /private/i,
      },
    },
    {
      id: 'html-as-image',
      label: 'HTML served as an image (image/jpeg)',
      search: { route: '/html-as-image', expect: /layout changed|JSON/i },
      media: { route: '/html-as-image', expect: /HTML|not (an? )?(image|media)|content/i },
    },
    {
      id: 'oversized',
      label: 'body larger than the cap (MAX_FILE_SIZE_MB=1; a search page over 20 MiB)',
      search: { route: '/oversized?bytes=25000000', expect: /large|exceed|limit|cap/i },
      media: { route: '/oversized?bytes=3000000', expect: /large|exceed|limit|cap|MAX_FILE_SIZE/i },
    },
    {
      id: 'oversized-no-length',
      label: 'body larger than the cap, no Content-Length',
      search: { route: '/oversized?bytes=25000000&length=0', expect: /large|exceed|limit|cap/i },
      media: { route: '/oversized?bytes=3000000&length=0', expect: /large|exceed|limit|cap|MAX_FILE_SIZE/i },
    },
    {
      id: 'gzip-bomb',
      label: 'gzip bomb (64 MiB of zeros in 64 KiB)',
      search: { route: '/gzip-bomb?mb=64', expect: /large|exceed|limit|cap|layout changed|JSON/i },
      media: {
        route: '/gzip-bomb?mb=64',
        expect: /large|exceed|limit|cap|HTML|not (an? )?(image|media)|content|gzip|encod/i,
      },
    },
    {
      id: 'invalid-json',
      label: 'invalid JSON',
      search: { route: '/invalid-json', expect: /JSON|layout changed/i },
      media: { route: '/invalid-json', expect: /not (an? )?(image|media)|content|JSON/i },
    },
    {
      id: 'layout-json',
      label: 'changed page layout (JSON API)',
      search: { route: '/layout-changed?format=json', expect: /layout changed/i },
      na: { media: 'a media download has no page layout' },
    },
    {
      id: 'layout-html',
      label: 'changed page layout (HTML page, bing_images)',
      search: { route: '/layout-changed?format=html', source: 'bing_images', expect: /layout changed/i },
      na: { media: 'a media download has no page layout' },
    },
    {
      id: 'dns',
      label: 'DNS failure (a .invalid host name)',
      search: { special: 'dns', source: 'nasa_images', expect: /ENOTFOUND|DNS|resolve|not found|getaddrinfo/i },
      media: { special: 'dns', expect: /ENOTFOUND|DNS|resolve|not found|getaddrinfo/i },
    },
    {
      id: 'refused',
      label: 'connection refused (a closed port)',
      search: { special: 'refuse', expect: /refused|ECONNREFUSED/i },
      media: { special: 'refuse', expect: /refused|ECONNREFUSED/i },
    },
  ];
}

/** The matrix's configuration: short deadlines keep it fast. */
export const MATRIX_CONFIG: Record<string, string> = {
  SOURCE_TIMEOUT: '2',
  REQUEST_TIMEOUT: '1',
  DOWNLOAD_TIMEOUT: '1.5',
  STALL_TIMEOUT: '0.8',
  MIN_DOWNLOAD_SPEED: '1024',
  MAX_RETRIES_PER_SOURCE: '2',
  MAX_RETRIES_PER_DOWNLOAD: '1',
  MAX_FILE_SIZE_MB: '1',
  MAX_DOWNLOADS_PER_SOURCE: '2',
  RATE_LIMIT_PER_MINUTE: '0',
};
const DEADLINE_MS = Number(MATRIX_CONFIG.SOURCE_TIMEOUT) * 1000;
export const BOUND_MS = DEADLINE_MS + 1000;
const SWITCHED: SourceId[] = ['openverse', 'bing_images'];

export interface CellResult {
  fault: string;
  label: string;
  phase: Phase;
  face: Face;
  source: string;
  /** `na` with a reason when the cell does not apply. */
  outcome: 'pass' | 'fail' | 'na';
  reason?: string;
  jobStatus?: string;
  sourceStatus?: string;
  error?: string | null;
  /** The job document's duration, ms. */
  durationMs?: number | null;
  /** The client's wall time (CLI: the whole process), ms. */
  wallMs?: number;
  exitCode?: number | null;
  retries?: number;
  rssBeforeMb?: number;
  rssAfterMb?: number;
  heapBeforeMb?: number;
  heapAfterMb?: number;
  /** Where the cause was read: the source's error, or the download log's FAILED lines. */
  evidence?: string;
  /** Recovery: a healthy job on the same source right after, its status. */
  recovery?: string;
  problems: string[];
}

interface Rig {
  fault: FaultServer;
  sim: Simulation;
  proxies: Map<SourceId, RewritingProxy>;
  switches: Map<SourceId, Switch>;
  forward: ForwardProxy;
  deadPort: number;
  /** Environment every face shares: sources behind the switches, the matrix config. */
  env: Record<string, string>;
  /** Set inside the network namespace: the public-looking address the guarded cells use. */
  virtualHost?: string;
  close(): Promise<void>;
}

/**
 * A public address (TEST-NET-3, RFC 5737) that the guarded cells use as their sources' first
 * hop. The client only ever reaches it through the loopback forward proxy, which maps it to
 * 127.0.0.1 (same port); and those cells run in a network namespace whose only interface is
 * loopback, so even a client that bypassed the proxy could not send a packet anywhere.
 */
export const VIRTUAL_HOST = '203.0.113.7';

/** `url` with 127.0.0.1 replaced by the rig's virtual host (guarded cells), else unchanged. */
function virtualize(rig: Rig, url: string): string {
  return rig.virtualHost ? url.replace('//127.0.0.1:', `//${rig.virtualHost}:`) : url;
}

/** The environment of the guarded cells: the guard on, everything through the loopback proxy. */
function guardedEnv(rig: Rig): Record<string, string> {
  const env: Record<string, string> = { ...rig.env, ALLOW_PRIVATE_NETWORKS: 'false', HTTP_PROXY: rig.forward.origin };
  for (const [id, sw] of rig.switches) env[`${envPrefix(id)}_BASE_URL`] = virtualize(rig, sw.origin);
  return env;
}

async function startRig(virtualHost?: string): Promise<Rig> {
  const fault = await startFaultServer();
  currentFaultPort = fault.port;
  const sim = await startSimulation({ sources: SWITCHED });
  const proxies = new Map<SourceId, RewritingProxy>();
  const switches = new Map<SourceId, Switch>();
  const env: Record<string, string> = { ...sim.env, ...MATRIX_CONFIG, NASA_IMAGES_BASE_URL: `http://${DNS_HOST}` };
  for (const id of SWITCHED) {
    const proxy = await startRewritingProxy(sim.origins[id]!);
    proxies.set(id, proxy);
    const sw = await startSwitch({ port: proxy.port });
    switches.set(id, sw);
    env[`${envPrefix(id)}_BASE_URL`] = sw.origin;
  }
  const forward = await startForwardProxy(virtualHost ? { virtualHost } : {});
  const deadPort = await closedPort();
  return {
    fault,
    sim,
    proxies,
    switches,
    forward,
    deadPort,
    env,
    ...(virtualHost ? { virtualHost } : {}),
    async close() {
      for (const sw of switches.values()) await sw.close();
      for (const p of proxies.values()) await p.close();
      await forward.close();
      await sim.close();
      await fault.close();
    },
  };
}

/** Points the rig at one fault; returns the source the job should use. */
async function inject(rig: Rig, phase: Phase, inj: Injection): Promise<SourceId> {
  await heal(rig);
  if (phase === 'search') {
    const source = inj.source ?? 'openverse';
    if (inj.special === 'dns') return source;
    const sw = rig.switches.get(source)!;
    if (inj.special === 'refuse') await sw.set('refuse');
    else {
      rig.fault.setFallback(routeOf(inj));
      await sw.set({ port: rig.fault.port });
    }
    return source;
  }
  const source: SourceId = 'openverse';
  let n = 0;
  const proxy = rig.proxies.get(source)!;
  // Fresh ids per cell: the download archive would otherwise skip candidates an earlier job
  // saved, and the server's API has no --no-archive. Still UUIDs, as Openverse's are.
  const salt = (++cellCounter).toString(16).padStart(8, '0');
  proxy.setTransform((text) =>
    text.replace(/"id":(\s*)"[0-9a-f]{8}-/g, (_m, space: string) => `"id":${space}"${salt}-`),
  );
  proxy.setMedia((original) => {
    const key = encodeURIComponent(`${original.split('/').pop() ?? 'm'}-${n++}`);
    if (inj.special === 'dns') return `http://${DNS_MEDIA_HOST}/${key}.jpg`;
    if (inj.special === 'refuse') return `http://127.0.0.1:${rig.deadPort}/${key}.jpg`;
    const route = routeOf(inj);
    return virtualize(rig, rig.fault.url(`${route}${route.includes('?') ? '&' : '?'}key=${key}`));
  });
  return source;
}

function routeOf(inj: Injection): string {
  return typeof inj.route === 'function' ? inj.route() : inj.route!;
}

async function heal(rig: Rig): Promise<void> {
  for (const [id, sw] of rig.switches) await sw.set({ port: rig.proxies.get(id)!.port });
  for (const p of rig.proxies.values()) {
    // Guarded cells reach even the healthy simulation's media through the virtual host.
    p.setMedia(rig.virtualHost ? (u) => virtualize(rig, u) : null);
    p.setTransform(null);
  }
  rig.fault.setFallback(null);
}

/** Size of the download log now, so a cell reads only its own lines. */
function logOffset(box: Sandbox): number {
  try {
    return statSync(join(box.logDir, 'download_errors.log')).size;
  } catch {
    return 0;
  }
}

/** The download log's `FAILED | <source> | …` lines written since `offset`. */
function failedLines(box: Sandbox, offset: number, source: string): string[] {
  let text: string;
  try {
    text = readFileSync(join(box.logDir, 'download_errors.log')).subarray(offset).toString('utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l.includes(`| FAILED | ${source} |`) || l.includes(`FAILED | ${source} |`));
}

/** The checks every cell shares, on the finished job document. */
function judge(
  doc: JobDocument,
  source: string,
  inj: Injection,
  box: Sandbox,
  logFrom: number,
): { problems: string[]; stats: JobDocument['results']['source_stats'][string] | undefined; evidence: string } {
  const problems: string[] = [];
  const stats = doc.results.source_stats[source];
  let evidence = 'source error';
  if (!stats) problems.push(`no stats for ${source}`);
  else {
    if (stats.status !== 'failed' && stats.status !== 'partial')
      problems.push(`source status ${stats.status}, expected failed`);
    if (!stats.error) problems.push('the source has no error');
    else if (!inj.expect.test(stats.error)) {
      // A deadline can fire before every download has failed (retries honouring Retry-After take
      // time); the source's error then says "Timeout after", and each file's cause is in the log.
      const lines = failedLines(box, logFrom, source);
      if (stats.error_code === 'timeout' && lines.some((l) => inj.expect.test(l)))
        evidence = `download log: ${lines
          .find((l) => inj.expect.test(l))!
          .split(' | ')
          .slice(3)
          .join(' | ')
          .slice(0, 120)}`;
      else
        problems.push(
          `error ${JSON.stringify(stats.error)} does not match ${inj.expect}${lines.length ? `; log: ${lines[0]}` : ''}`,
        );
    }
  }
  if (doc.status !== 'failed' && doc.status !== 'partial') problems.push(`job status ${doc.status}`);
  if (doc.duration_ms === null || doc.duration_ms > BOUND_MS)
    problems.push(`job took ${doc.duration_ms} ms, bound ${BOUND_MS} ms`);
  const db = recordedFromDb(box.dbPath);
  problems.push(...checkAgreement(db, box.downloadDir).problems);
  problems.push(
    ...compareRecords(
      recordedFromDocs([doc]),
      db.filter((f) => f.job_id === doc.job_id),
      ['the job document', 'the database'],
    ),
  );
  return { problems, stats, evidence };
}

export interface MatrixOptions {
  faces: Face[];
  phases: Phase[];
  /** Fault ids to run (default: all). */
  only?: string[];
  /** Cells to run as [fault, phase, face] (overrides only/faces/phases when given). */
  cells?: [string, Phase, Face][];
  /** Set by reliability/netns-entry.ts: this process is the network namespace of the guarded cells. */
  inNetns?: boolean;
  log: (line: string) => void;
}

export interface MatrixOutcome {
  cells: CellResult[];
  server: { rssStartMb: number; rssEndMb: number; pid: number; aliveAtEnd: boolean } | null;
}

type Triple = [Fault, Phase, Face];

export async function runMatrix(options: MatrixOptions): Promise<MatrixOutcome> {
  const all = faults();
  const wanted = (fault: Fault, phase: Phase, face: Face): boolean =>
    options.cells
      ? options.cells.some(([f, p, fa]) => f === fault.id && p === phase && fa === face)
      : (!options.only || options.only.includes(fault.id)) &&
        options.phases.includes(phase) &&
        options.faces.includes(face);
  const selected: Triple[] = [];
  for (const face of ['cli', 'server'] as Face[]) {
    for (const fault of all) {
      for (const phase of ['search', 'media'] as Phase[]) {
        if (wanted(fault, phase, face) && !fault.na?.[phase]) selected.push([fault, phase, face]);
      }
    }
  }
  const isGuarded = ([fault, phase]: Triple): boolean =>
    (phase === 'search' ? fault.search : fault.media)?.special === 'private';
  const cells: CellResult[] = [];
  let server: MatrixOutcome['server'];
  if (options.inNetns) {
    // Inside the namespace: only the guarded cells, with the guard on.
    const rig = await startRig(VIRTUAL_HOST);
    try {
      server = await runCells(rig, selected.filter(isGuarded), guardedEnv(rig), cells, options.log);
    } finally {
      await rig.close();
    }
    return { cells, server };
  }
  const rig = await startRig();
  try {
    server = await runCells(
      rig,
      selected.filter((t) => !isGuarded(t)),
      rig.env,
      cells,
      options.log,
    );
  } finally {
    await rig.close();
  }
  const guarded = selected.filter(isGuarded);
  if (guarded.length > 0) cells.push(...(await runGuardedInNetns(guarded, options.log)));
  for (const fault of all) {
    for (const phase of ['search', 'media'] as Phase[]) {
      if (!fault.na?.[phase]) continue;
      for (const face of ['cli', 'server'] as Face[]) {
        if (
          options.cells ||
          !options.phases.includes(phase) ||
          !options.faces.includes(face) ||
          (options.only && !options.only.includes(fault.id))
        )
          continue;
        cells.push({
          fault: fault.id,
          label: fault.label,
          phase,
          face,
          source: '-',
          outcome: 'na',
          reason: fault.na[phase],
          problems: [],
        });
      }
    }
  }
  return { cells, server };
}

/** Runs `triples` against `rig` with `env`: CLI cells one process each, server cells in one server. */
async function runCells(
  rig: Rig,
  triples: Triple[],
  env: Record<string, string>,
  cells: CellResult[],
  log: (line: string) => void,
): Promise<MatrixOutcome['server']> {
  for (const [fault, phase, face] of triples) {
    if (face !== 'cli') continue;
    cells.push(await cliCell(rig, env, fault, phase));
    log(line(cells.at(-1)!));
  }
  const serverTriples = triples.filter(([, , face]) => face === 'server');
  if (serverTriples.length === 0) return null;
  const box = makeSandbox('matrix-server');
  // The inspector lets each cell compare memory after a full collection (not V8's lazy level).
  const server = await startServer({ env: { ...env, ...box.env, NODE_OPTIONS: INSPECT_OPTIONS }, cwd: box.root });
  try {
    // Warm the server up with one healthy job so its baseline includes loaded code.
    await heal(rig);
    await serverJob(server, 'openverse', 'warm-up');
    const warm = sampleProcess(server.pid)!.rssBytes;
    let n = 0;
    for (const [fault, phase] of serverTriples) {
      cells.push(await serverCell(rig, server, box, fault, phase, ++n));
      log(line(cells.at(-1)!));
    }
    const end = sampleProcess(server.pid);
    return {
      rssStartMb: mb(warm),
      rssEndMb: end ? mb(end.rssBytes) : NaN,
      pid: server.pid,
      aliveAtEnd: isAlive(server.pid),
    };
  } finally {
    await server.stop('SIGTERM');
    box.remove();
  }
}

/**
 * The guarded cells (private-network guard on) run in a fresh network namespace (`unshare -n`)
 * whose only interface is loopback: the client reaches its sources at a public-looking address
 * only through the loopback forward proxy, and nothing it does can leave the machine.
 */
async function runGuardedInNetns(triples: Triple[], log: (line: string) => void): Promise<CellResult[]> {
  const spec = triples.map(([f, p, fa]) => [f.id, p, fa]);
  const na = (reason: string): CellResult[] =>
    triples.map(([fault, phase, face]) => ({
      fault: fault.id,
      label: fault.label,
      phase,
      face,
      source: '-',
      outcome: 'na' as const,
      reason,
      problems: [],
    }));
  const child = spawn(
    'unshare',
    [
      '-n',
      '--',
      'sh',
      '-c',
      'ip link set lo up && exec "$0" --import tsx reliability/netns-entry.ts',
      process.execPath,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, MATRIX_CELLS: JSON.stringify(spec) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    for (const l of d.split('\n')) if (l.trim()) log(`[netns] ${l}`);
  });
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(-1));
    child.on('close', (c) => resolve(c));
  });
  const last = out.trim().split('\n').at(-1) ?? '';
  try {
    return (JSON.parse(last) as MatrixOutcome).cells;
  } catch {
    return na(
      `could not run in a network namespace (unshare -n exited ${code}: ${err.trim().split('\n').at(-1) ?? ''}); these cells need one so that nothing can leave the machine`,
    );
  }
}

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

function line(c: CellResult): string {
  return `${c.outcome.toUpperCase()} ${c.face}/${c.phase}/${c.fault}: ${c.sourceStatus ?? ''} ${JSON.stringify(c.error ?? '')} in ${c.durationMs ?? '?'} ms${c.recovery ? `, recovery ${c.recovery}` : ''}${c.rssBeforeMb !== undefined ? `, rss ${c.rssBeforeMb}→${c.rssAfterMb} MB, heap ${c.heapBeforeMb}→${c.heapAfterMb} MB` : ''}${c.problems.length ? ` — ${c.problems.join('; ')}` : ''}`;
}

async function cliCell(rig: Rig, baseEnv: Record<string, string>, fault: Fault, phase: Phase): Promise<CellResult> {
  const inj = phase === 'search' ? fault.search! : fault.media!;
  const box = makeSandbox('matrix-cli');
  try {
    const source = await inject(rig, phase, inj);
    const env: Record<string, string> = { ...baseEnv, ...box.env };
    const before = rig.forward.targets.length;
    const r = await runCli(['search', `matrix ${fault.id} ${phase}`, '--sources', source, '--limit', '2', '--json'], {
      cwd: box.root,
      env,
      killAfterMs: 60_000,
    });
    const cell: CellResult = {
      fault: fault.id,
      label: fault.label,
      phase,
      face: 'cli',
      source,
      outcome: 'fail',
      wallMs: Math.round(r.wallMs),
      exitCode: r.code,
      problems: [],
    };
    if (r.killedByHarness) cell.problems.push('the CLI process did not end within 60 s');
    let doc: JobDocument | null = null;
    try {
      doc = parseJsonOutput<JobDocument>(r.stdout);
    } catch {
      cell.problems.push(`no job document on stdout (exit ${r.code}): ${r.stderr.slice(-300)}`);
    }
    if (doc) {
      const { problems, stats, evidence } = judge(doc, source, inj, box, 0);
      cell.problems.push(...problems);
      Object.assign(cell, {
        jobStatus: doc.status,
        sourceStatus: stats?.status,
        error: stats?.error,
        durationMs: doc.duration_ms,
        retries: stats?.retries,
        evidence,
      });
      if (r.code !== 1 && r.code !== 3) cell.problems.push(`exit code ${r.code}, expected 1 (failed) or 3 (partial)`);
    }
    if (inj.special === 'private') cell.problems.push(...privateLeaks(rig, before));
    const integrity = integrityCheck(box.dbPath);
    if (integrity !== 'ok') cell.problems.push(`integrity_check: ${integrity}`);
    cell.outcome = cell.problems.length === 0 ? 'pass' : 'fail';
    return cell;
  } finally {
    await heal(rig);
    box.remove();
  }
}

/** Any request the client sent to the proxy since `from` for something but the sources' own address. */
function privateLeaks(rig: Rig, from: number): string[] {
  const own = rig.virtualHost ?? '127.0.0.1';
  return rig.forward.targets
    .slice(from)
    .filter((t) => !t.startsWith(`${own}:`) && !t.startsWith(`http://${own}:`))
    .map((t) => `the client asked the proxy for ${t}: the private target was not refused before connecting`);
}

async function serverJob(server: ServerProcess, source: SourceId, query: string): Promise<JobDocument | null> {
  const r = await api<{ job_id: string }>(server.origin, 'POST', '/api/jobs', {
    query,
    sources: [source as JobSourceName],
    limit: 2,
    type: 'image',
  });
  if (r.status !== 202) throw new Error(`POST /api/jobs answered ${r.status}: ${r.text.slice(0, 300)}`);
  return waitForJob(server.origin, r.body.job_id, 60_000, 50);
}

async function serverCell(
  rig: Rig,
  server: ServerProcess,
  box: Sandbox,
  fault: Fault,
  phase: Phase,
  n: number,
): Promise<CellResult> {
  const inj = phase === 'search' ? fault.search! : fault.media!;
  const memBefore = await memoryAfterGc(server);
  const cell: CellResult = {
    fault: fault.id,
    label: fault.label,
    phase,
    face: 'server',
    source: '',
    outcome: 'fail',
    problems: [],
  };
  try {
    const source = await inject(rig, phase, inj);
    cell.source = source;
    const before = rig.forward.targets.length;
    const logFrom = logOffset(box);
    // Let the server's pool notice the connections the switch closed.
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    const doc = await serverJob(server, source, `matrix ${n} ${fault.id} ${phase}`);
    cell.wallMs = Math.round(performance.now() - t0);
    if (!doc) cell.problems.push('the job did not end within 60 s');
    else {
      const { problems, stats, evidence } = judge(doc, source, inj, box, logFrom);
      cell.problems.push(...problems);
      Object.assign(cell, {
        jobStatus: doc.status,
        sourceStatus: stats?.status,
        error: stats?.error,
        durationMs: doc.duration_ms,
        retries: stats?.retries,
        evidence,
      });
    }
    if (inj.special === 'private') cell.problems.push(...privateLeaks(rig, before));
    await heal(rig);
    await new Promise((r) => setTimeout(r, 50));
    if (!isAlive(server.pid)) cell.problems.push('the server process died');
    else {
      const health = await api(server.origin, 'GET', '/api/health').catch((e: Error) => ({
        status: 0,
        text: e.message,
      }));
      if (health.status !== 200) cell.problems.push(`/api/health answered ${health.status} after the cell`);
      // The next job on the same source works (and resets its failure streak, so no cool-down).
      if (inj.special !== 'dns') {
        const next = await serverJob(server, source, `matrix ${n} recovery`);
        cell.recovery = next?.status ?? 'stuck';
        if (next?.status !== 'completed')
          cell.problems.push(
            `the next healthy job ended ${cell.recovery}: ${JSON.stringify(next?.results.source_stats[source]?.error ?? null)}`,
          );
      }
      const memAfter = await memoryAfterGc(server);
      cell.rssBeforeMb = mb(memBefore.rss);
      cell.rssAfterMb = mb(memAfter.rss);
      cell.heapBeforeMb = mb(memBefore.heap);
      cell.heapAfterMb = mb(memAfter.heap);
      if (memAfter.rss - memBefore.rss > RSS_TOLERANCE_BYTES)
        cell.problems.push(
          `RSS grew ${mb(memAfter.rss - memBefore.rss)} MB over the cell (tolerance ${mb(RSS_TOLERANCE_BYTES)} MB)`,
        );
      if (memAfter.heap - memBefore.heap > HEAP_TOLERANCE_BYTES)
        cell.problems.push(
          `the heap after a full GC grew ${mb(memAfter.heap - memBefore.heap)} MB over the cell (tolerance ${mb(HEAP_TOLERANCE_BYTES)} MB)`,
        );
    }
  } catch (error) {
    cell.problems.push(`harness: ${(error as Error).message}`);
  }
  cell.outcome = cell.problems.length === 0 ? 'pass' : 'fail';
  return cell;
}

/** How much one cell may leave the server's RSS above where it started (both after a full GC). */
export const RSS_TOLERANCE_BYTES = 40 * 2 ** 20;
/** How much one cell may leave the V8 heap above where it started (both after a full GC). */
export const HEAP_TOLERANCE_BYTES = 4 * 2 ** 20;

/** RSS and V8 heap of the server right after a full collection (NaN when they cannot be read). */
async function memoryAfterGc(server: ServerProcess): Promise<{ rss: number; heap: number }> {
  await collectGarbage(inspectorUrlOf(server.output())).catch(() => {});
  const heap = metric(await readMetrics(server.origin), 'nodejs_heap_size_used_bytes') ?? NaN;
  return { rss: sampleProcess(server.pid)?.rssBytes ?? NaN, heap };
}
