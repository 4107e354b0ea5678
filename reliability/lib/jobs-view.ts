// Reading jobs the way users do, through the real CLI: `jobs --json` and `job <id> --json`.
import type { JobDocument, JobSummary } from '../../src/core/types.ts';
import { parseJsonOutput, runCli } from './cli.ts';

export async function cliJobs(cwd: string, env: Record<string, string>): Promise<JobSummary[]> {
  const r = await runCli(['jobs', '--json'], { cwd, env, killAfterMs: 30_000 });
  if (r.code !== 0) throw new Error(`harvester jobs --json exited ${r.code}: ${r.stderr.slice(0, 500)}`);
  return parseJsonOutput<JobSummary[]>(r.stdout);
}

export async function cliJob(cwd: string, env: Record<string, string>, jobId: string): Promise<JobDocument> {
  const r = await runCli(['job', jobId, '--json'], { cwd, env, killAfterMs: 30_000 });
  if (r.code !== 0) throw new Error(`harvester job ${jobId} --json exited ${r.code}: ${r.stderr.slice(0, 500)}`);
  return parseJsonOutput<JobDocument>(r.stdout);
}

/** Files saved per source in a job document. */
export function filesPerSource(doc: JobDocument): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of doc.sources) counts[s] = 0;
  for (const f of doc.results.files) counts[f.source] = (counts[f.source] ?? 0) + 1;
  return counts;
}
