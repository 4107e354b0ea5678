// CPU per thread of a node process (run by hand, not a test): preload it and, as the process
// exits, it appends one JSON line to $THREAD_CPU_OUT with each thread's user+sys CPU (ms) from
// /proc/self/task/*/stat, so that what V8's background threads (TurboFan, concurrent marking) and
// libuv's thread pool (file-system calls) cost shows beside the main thread's share.
//   THREAD_CPU_OUT=/tmp/threads.jsonl node --import ./bench/thread-cpu.mjs bin/harvester.js get …
// Linux only. Threads are listed in the order they were started: in Node 20 the main thread,
// then V8's platform threads (a delayed-task runner, then --v8-pool-size workers, 4 by default),
// the inspector's signal thread, then libuv's thread pool (UV_THREADPOOL_SIZE, 4 by default).
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';

const out = process.env.THREAD_CPU_OUT;
// Clock ticks per second of /proc's times (USER_HZ, 100 on Linux).
const MS_PER_TICK = 10;

function cpuOf(statPath) {
  const stat = readFileSync(statPath, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
}

if (out) {
  process.on('exit', () => {
    const threads = [];
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        threads.push({ tid: Number(tid), cpuMs: cpuOf(`/proc/self/task/${tid}/stat`) });
      } catch {
        // A thread that ended meanwhile.
      }
    }
    threads.sort((a, b) => a.tid - b.tid);
    appendFileSync(out, `${JSON.stringify({ processCpuMs: cpuOf('/proc/self/stat'), threads })}\n`);
  });
}
