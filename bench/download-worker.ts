// Benchmark worker: downloads the URLs in a file through `downloadFile` with N in flight, in its
// own process so /usr/bin/time measures Harvester's CPU and peak RSS alone. Prints one JSON line
// with the in-process figures (download phase only, without tsx start-up).
// Usage: node --import tsx bench/download-worker.ts <urls.txt> <dir> <concurrency>
import { readFileSync } from 'node:fs';
import { loadConfig } from '../src/core/config.ts';
import { downloadFile } from '../src/download/index.ts';
import { createHttpClient } from '../src/http/index.ts';
import { localDirectoryOutput } from '../src/output/local-directory.ts';

const [urlsFile = '', directory = '', concurrencyArg] = process.argv.slice(2);
if (!urlsFile || !directory) throw new Error('usage: download-worker.ts <urls.txt> <dir> [concurrency]');
const urls = readFileSync(urlsFile, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '');
const concurrency = Number(concurrencyArg ?? 32);
const config = loadConfig({ ALLOW_PRIVATE_NETWORKS: 'true', MAX_CONNECTIONS_PER_HOST: String(concurrency) }, {});
const http = createHttpClient(config);
const signal = new AbortController().signal;
const sink = localDirectoryOutput(directory).sink('');

const startedMs = performance.now();
const cpuBefore = process.cpuUsage();
let next = 0;
let saved = 0;
let bytes = 0;
const failures: string[] = [];
async function worker(): Promise<void> {
  while (next < urls.length) {
    const index = next++;
    try {
      const outcome = await downloadFile(http, {
        url: urls[index]!,
        sink,
        commit: (info) => `bench_${String(index + 1).padStart(3, '0')}.${info.ext}`,
        signal,
        timeoutMs: config.downloadTimeoutMs * 20,
        stallTimeoutMs: config.stallTimeoutMs,
        minBytesPerSecond: config.minDownloadSpeed,
        maxBytes: 2 * 1024 * 1024 * 1024,
        retries: config.maxRetriesPerDownload,
      });
      if (outcome.status === 'saved') {
        saved++;
        bytes += outcome.bytes;
      }
    } catch (error) {
      failures.push(`${urls[index]}: ${(error as Error).message}`);
    }
  }
}
await Promise.all(Array.from({ length: Math.min(concurrency, urls.length) }, worker));
const wallMs = performance.now() - startedMs;
const cpu = process.cpuUsage(cpuBefore);
await http.close();
process.stdout.write(
  `${JSON.stringify({ saved, bytes, failures: failures.length, firstFailure: failures[0] ?? null, wallMs: Math.round(wallMs), cpuMs: Math.round((cpu.user + cpu.system) / 1000), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
);
