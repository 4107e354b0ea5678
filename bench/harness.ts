// What the download benchmarks share: the media server in its own process, one command timed by
// /usr/bin/time (wall, user+sys CPU, peak RSS), counting the files a tool wrote, medians.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = resolve(import.meta.dirname, '..');
// Children run with cwd outside the checkout: name tsx's loader by its resolved URL.
export const TSX = import.meta.resolve('tsx');

/** The setup both benchmarks share: distinct 64 KiB files, 20 ms before each answer, 32 in flight; one 1 GiB file. */
export const FILE_BYTES = 64 * 1024;
export const BIG_BYTES = 1024 * 1024 * 1024;
export const CONCURRENCY = 32;
export const LATENCY_MS = 20;

export interface Timed {
  wallS: number;
  cpuS: number;
  maxRssMb: number;
  stdout: string;
}

/** Starts bench/download-server.ts (its CPU and memory are not counted); resolves with its port. */
export function startMediaServer(env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'bench', 'download-server.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolvePort, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolvePort({ child, port: Number(line) }));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** Runs `command` in `cwd` under /usr/bin/time; returns wall, CPU (user+sys) and peak RSS. */
export function timed(
  cwd: string,
  command: string,
  commandArgs: string[],
  env: NodeJS.ProcessEnv = process.env,
): Timed {
  const timeFile = join(cwd, 'time.txt');
  const stdout = execFileSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, command, ...commandArgs], {
    env,
    cwd,
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
  const [wall, user, sys, rssKb] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wallS: wall!, cpuS: user! + sys!, maxRssMb: rssKb! / 1024, stdout };
}

/** Files of exactly `size` bytes under `dir`, recursively. */
export function countFiles(dir: string, size: number): number {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) n += countFiles(path, size);
    else if (statSync(path).size === size) n++;
  }
  return n;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
