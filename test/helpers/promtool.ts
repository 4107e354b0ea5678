// `promtool check metrics` (Prometheus's own checker; Debian package `prometheus`) on a metrics
// text: it exits non-zero on any problem and prints warnings on stdout.
import { spawn } from 'node:child_process';

/** Runs `promtool check metrics` on `text`; a missing promtool is a failure, never a skip. */
export function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) =>
      reject(new Error(`promtool is needed for this test (Debian: apt-get install -y prometheus): ${error.message}`)),
    );
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}
