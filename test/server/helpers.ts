// Test helpers for the server: a real server (startServer, the code path of `harvester serve`) on
// 127.0.0.1:0 over the simulated sources, in a fresh temp directory; and a small Server-Sent
// Events reader over fetch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after } from 'node:test';
import assert from 'node:assert/strict';
import type { SourceId } from '../../src/core/types.ts';
import { startSimulation, type Simulation } from '../../src/demo/sim-server.ts';
import { startServer, type RunningServer, type ServeOptions } from '../../src/server/start.ts';

export interface TestServer extends RunningServer {
  dir: string;
  sim: Simulation;
  /** What the server wrote on stderr. */
  stderrText(): string;
  /** Starts a new server on the same directories (a restart); the old one must be closed. */
  restart(extraEnv?: Record<string, string>): Promise<TestServer>;
  /** Closes the server, the simulation and removes the directory. */
  dispose(): Promise<void>;
}

export interface TestServerOptions {
  sources?: readonly SourceId[];
  hang?: readonly SourceId[];
  latencyMs?: number;
  env?: Record<string, string>;
  heartbeatMs?: number;
  webRoot?: string | null;
  limits?: ServeOptions['limits'];
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'harvester-server-'));
  const sim = await startSimulation({
    sources: options.sources ?? ['google_images', 'yandex_images'],
    hang: options.hang ?? [],
    ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}),
  });
  const launch = async (extraEnv: Record<string, string> = {}): Promise<TestServer> => {
    let stderr = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        stderr += chunk.toString();
        callback();
      },
    });
    const env: Record<string, string> = {
      DOWNLOAD_DIR: join(dir, 'downloads'),
      LOG_DIR: join(dir, 'logs'),
      DATA_DIR: join(dir, 'data'),
      RATE_LIMIT_PER_MINUTE: '0',
      // Generous: the machine may be busy. Tests that want a source to time out hang it and set
      // its own `<ID>_TIMEOUT`.
      SOURCE_TIMEOUT: '10',
      REQUEST_TIMEOUT: '5',
      DOWNLOAD_TIMEOUT: '5',
      ...sim.env,
      ...options.env,
      ...extraEnv,
    };
    let server: RunningServer;
    try {
      server = await startServer({
        env,
        dotenv: {},
        host: '127.0.0.1',
        port: 0,
        webRoot: options.webRoot ?? null,
        stderr: sink,
        logLevel: 'silent',
        ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
        ...(options.limits ? { limits: options.limits } : {}),
      });
    } catch (error) {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return {
      ...server,
      dir,
      sim,
      stderrText: () => stderr,
      restart: (more) => launch({ ...extraEnv, ...more }),
      async dispose() {
        await server.close();
        await sim.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
  return launch();
}

export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

export interface SseResult {
  status: number;
  headers: Headers;
  messages: SseMessage[];
  comments: string[];
  /** True when the server ended the stream (rather than our stopping early). */
  ended: boolean;
}

/** Reads an event stream until the server ends it, `stop` says so, or `timeoutMs` passes. */
export async function readSse(
  url: string,
  options: {
    headers?: Record<string, string>;
    stop?: (messages: SseMessage[], comments: string[]) => boolean;
    timeoutMs?: number;
  } = {},
): Promise<SseResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('SSE read timed out')), options.timeoutMs ?? 10_000);
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  try {
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', ...options.headers },
      signal: controller.signal,
    });
    if (!response.body || response.status !== 200) {
      await response.body?.cancel();
      return { status: response.status, headers: response.headers, messages, comments, ended: true };
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let ended = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let id: string | null = null;
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line.slice(1).trim());
          else if (line.startsWith('id: ')) id = line.slice(4);
          else if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length > 0) messages.push({ id, event, data: data.join('\n') });
      }
      if (options.stop?.(messages, comments)) {
        await reader.cancel();
        break;
      }
    }
    return { status: response.status, headers: response.headers, messages, comments, ended };
  } finally {
    clearTimeout(timer);
  }
}

/** JSON request helper: resolves with the status, headers and parsed body. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** A `server()` for one test file: every server it starts is disposed after the file's tests. */
export function serverFactory(): (options?: TestServerOptions) => Promise<TestServer> {
  const servers: TestServer[] = [];
  after(async () => {
    for (const s of servers) await s.dispose();
  });
  return async (options = {}) => {
    const s = await startTestServer(options);
    servers.push(s);
    return s;
  };
}

/** POSTs a job and returns its id; anything but 202 fails the test with the answer. */
export async function submit(s: TestServer, body: Record<string, unknown>): Promise<string> {
  const answer = await call(s.url, 'POST', '/api/jobs', { body });
  assert.equal(answer.status, 202, answer.text);
  return (answer.body as { job_id: string }).job_id;
}
