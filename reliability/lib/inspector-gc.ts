// Asking a server process for a full garbage collection, so memory can be compared between two
// moments without V8's lazy collection blurring it: the server runs with `--inspect=127.0.0.1:0`
// (NODE_OPTIONS) and HeapProfiler.collectGarbage is sent over the inspector's WebSocket. Unlike
// a heap snapshot, this allocates next to nothing in the server, so RSS stays comparable.
import { WebSocket, type MessageEvent } from 'undici';

/** NODE_OPTIONS for a server that allows it (loopback only, a free port). */
export const INSPECT_OPTIONS = '--inspect=127.0.0.1:0';

/** The inspector's WebSocket URL from the process's output ("Debugger listening on ws://…"). */
export function inspectorUrlOf(output: string): string | undefined {
  return /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(output)?.[1];
}

/** A metric by the end of its name (the server prefixes them, e.g. `harvester_`). */
export function metric(metrics: Map<string, number>, suffix: string): number | null {
  return [...metrics].find(([name]) => name.endsWith(suffix))?.[1] ?? null;
}

/** Runs two full collections in the process behind `url`. */
export async function collectGarbage(url: string | undefined): Promise<void> {
  if (!url) throw new Error('no inspector address');
  const ws = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve());
      ws.addEventListener('error', () => reject(new Error(`cannot reach the inspector at ${url}`)));
    });
    let id = 0;
    const call = (method: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const mine = ++id;
        const timer = setTimeout(() => reject(new Error(`${method} timed out`)), 30_000);
        const onMessage = (event: MessageEvent): void => {
          const msg = JSON.parse(String(event.data)) as { id?: number };
          if (msg.id !== mine) return;
          clearTimeout(timer);
          ws.removeEventListener('message', onMessage);
          resolve();
        };
        ws.addEventListener('message', onMessage);
        ws.send(JSON.stringify({ id: mine, method }));
      });
    // Twice: the first pass can leave what only weak references and finalizers free.
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
  } finally {
    ws.close();
  }
}
