// Numbers of saved files, `<slug>_<NNN>.<ext>`: each directory continues after the highest
// number already there (after a resume, a second job with the same query, a manual copy).
// One allocator per directory per process, so two jobs of one server never pick the same name:
// a number is reserved before anything is awaited, so concurrent downloads never share one.
import type { FileOutput } from '../output/file-output.ts';

const counters = new Map<string, Promise<{ next: number }>>();

async function highestIn(output: FileOutput, dir: string, slug: string): Promise<number> {
  const pattern = new RegExp(`^${slug.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_(\\d+)(\\.|$)`);
  let highest = 0;
  for (const name of await output.list(dir)) {
    const m = pattern.exec(name);
    if (m) highest = Math.max(highest, Number(m[1]));
  }
  return highest;
}

/**
 * The next number for `<slug>_<NNN>.*` in `dir` of `output`, after the highest one there when
 * the folder was first scanned. A file another process writes under that name since is not looked
 * for here (no file-system call per file): the rename into place refuses to overwrite it and the
 * caller asks for the next number (src/jobs/save-candidate.ts).
 */
export async function nextFileNumber(output: FileOutput, dir: string, slug: string): Promise<number> {
  const key = `${output.root}\0${dir}\0${slug}`;
  let counter = counters.get(key);
  if (counter === undefined) {
    counter = highestIn(output, dir, slug).then((highest) => ({ next: highest + 1 }));
    counters.set(key, counter);
  }
  const reserved = await counter;
  return reserved.next++;
}
