// The results of each suite, kept as JSON under reliability/results/ (so one suite can be
// rerun without losing the others), and RELIABILITY.md rendered from all of them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './paths.ts';

export type SuiteStatus = 'passed' | 'failed' | 'not run';

export interface Table {
  columns: string[];
  rows: string[][];
}

export interface SuiteResult {
  /** Stable id, e.g. `fault-matrix`. */
  id: string;
  /** Order in the report. */
  order: number;
  title: string;
  status: SuiteStatus;
  /** Why a suite did not run ("not run: server missing"). */
  reason?: string;
  injected: string;
  expected: string;
  /** Headline figures, one line each. */
  figures: string[];
  tables?: { title: string; table: Table }[];
  notes?: string[];
  /** Images written beside the report, relative to the repo root. */
  images?: { alt: string; path: string }[];
  ranAt: string;
  durationMs: number;
  /** The command that reproduces it. */
  command: string;
}

export const RESULTS_DIR = join(ROOT, 'reliability', 'results');
export const REPORT_PATH = join(ROOT, 'RELIABILITY.md');

export function saveResult(result: SuiteResult): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${result.id}.json`), JSON.stringify(result, null, 2) + '\n');
}

export function loadResults(): SuiteResult[] {
  if (!existsSync(RESULTS_DIR)) return [];
  return readdirSync(RESULTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as SuiteResult)
    .sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function renderTable(table: Table): string {
  const lines = [`| ${table.columns.map(cell).join(' | ')} |`, `|${table.columns.map(() => '---').join('|')}|`];
  for (const row of table.rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

function machine(): string {
  const cpu = cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {}
  return `${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux, Node ${process.version}; commit ${commit}`;
}

/** Bugs the suites found, written by hand in reliability/findings.md (the suites find, people judge). */
export const FINDINGS_PATH = join(ROOT, 'reliability', 'findings.md');

export function renderReport(
  results: readonly SuiteResult[],
  findings = existsSync(FINDINGS_PATH) ? readFileSync(FINDINGS_PATH, 'utf8').trim() : '',
): string {
  const out: string[] = [
    '# Reliability',
    '',
    'Written by `npm run reliability` (`scripts/reliability.mjs`); do not edit by hand. Each suite',
    'says what was injected, what was expected and what was observed, with figures. Every cell runs',
    'the real CLI process, the real server and the real SQLite store against local HTTP servers',
    '(the fault server of `test/helpers/fault-server.ts` and the source simulation of',
    '`src/demo/sim-server.ts`); nothing here talks to the internet. The fast part of these suites',
    'runs inside `npm test` (`test/reliability/`).',
    '',
    `Machine: ${machine()}. Report written ${new Date().toISOString()}.`,
    '',
    '## Summary',
    '',
    renderTable({
      columns: ['suite', 'result', 'headline', 'ran at', 'time'],
      rows: results.map((r) => [
        `[${r.title}](#${anchor(r.title)})`,
        r.status === 'not run' ? `not run: ${r.reason ?? ''}` : r.status,
        r.figures[0] ?? '',
        r.ranAt.slice(0, 16).replace('T', ' '),
        `${(r.durationMs / 1000).toFixed(0)} s`,
      ]),
    }),
    '',
  ];
  if (findings) out.push('## Findings', '', findings, '');
  for (const r of results) {
    out.push(`## ${r.title}`, '');
    out.push(`**Result:** ${r.status === 'not run' ? `not run: ${r.reason ?? ''}` : r.status}  `);
    out.push(`**Command:** \`${r.command}\` (${(r.durationMs / 1000).toFixed(1)} s, ${r.ranAt})`, '');
    out.push(`**Injected:** ${r.injected}`, '');
    out.push(`**Expected:** ${r.expected}`, '');
    if (r.figures.length > 0) {
      out.push('**Observed:**', '');
      for (const f of r.figures) out.push(`- ${f}`);
      out.push('');
    }
    for (const img of r.images ?? []) out.push(`![${img.alt}](${img.path})`, '');
    for (const t of r.tables ?? []) out.push(`### ${t.title}`, '', renderTable(t.table), '');
    if (r.notes && r.notes.length > 0) {
      out.push('**Notes:**', '');
      for (const n of r.notes) out.push(`- ${n}`);
      out.push('');
    }
  }
  return out.join('\n');
}

function anchor(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .trim()
    .replace(/ /g, '-');
}

export function writeReport(): string {
  const text = renderReport(loadResults());
  writeFileSync(REPORT_PATH, text);
  return REPORT_PATH;
}
