// `harvester serve --demo` as a real process on 127.0.0.1:0, and raw HTTP/1.1 over net.connect so
// that a test sends the request target, headers and body exactly as written (fetch and undici
// normalise the path, which would hide the very spellings the security tests are about).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../cli/run-cli.ts';

export interface ServeProcess {
  url: string;
  port: number;
  dir: string;
  child: ChildProcess;
  stderrText(): string;
  stop(): Promise<void>;
}

export async function startServeProcess(env: Record<string, string> = {}, args: string[] = []): Promise<ServeProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'harvester-serve-proc-'));
  const child = spawn(process.execPath, [BIN, 'serve', '--demo', '--port', '0', ...args], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DOWNLOAD_DIR: join(dir, 'downloads'),
      LOG_DIR: join(dir, 'logs'),
      DATA_DIR: join(dir, 'data'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^(http:\/\/\S+:\d+)\n/m.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`harvester serve exited early with ${code}: ${stderr}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    dir,
    child,
    stderrText: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `head` (request line and headers, without the blank line) and `body` as written, on a new
 * connection with `Connection: close`, and reads the whole answer.
 */
export function rawRequest(port: number, head: string, body = ''): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const lines = text.slice(0, end < 0 ? text.length : end).split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status, headers, body: end < 0 ? '' : text.slice(end + 4) });
    });
    const bodyBytes = Buffer.from(body);
    const lengthHeader =
      body === '' && !/^(POST|PUT|PATCH)/.test(head) ? '' : `\r\nContent-Length: ${bodyBytes.length}`;
    socket.write(`${head}\r\nConnection: close${lengthHeader}\r\n\r\n`);
    socket.end(bodyBytes);
  });
}
