// What every suite module exports, and the options the orchestrator passes down.
import type { SuiteResult } from './report.ts';

export interface SuiteOptions {
  /** The representative fast subset (what `npm test` runs) instead of the full suite. */
  quick: boolean;
  /** Seed for anything random, so a failing run can be replayed. */
  seed: number;
  log: (line: string) => void;
}

/** A result skeleton with timing filled in by `finish`. */
export function startResult(suite: {
  id: string;
  title: string;
  order: number;
  command: string;
  injected: string;
  expected: string;
}): {
  result: SuiteResult;
  finish: (status?: SuiteResult['status']) => SuiteResult;
} {
  const started = performance.now();
  const result: SuiteResult = {
    ...suite,
    status: 'passed',
    figures: [],
    tables: [],
    notes: [],
    images: [],
    ranAt: new Date().toISOString(),
    durationMs: 0,
  };
  return {
    result,
    finish: (status) => {
      if (status) result.status = status;
      result.durationMs = performance.now() - started;
      return result;
    },
  };
}

/** A suite that cannot run because a part of the product is missing. */
export function notRun(
  suite: { id: string; title: string; order: number; command: string; injected: string; expected: string },
  reason: string,
): SuiteResult {
  const { finish, result } = startResult(suite);
  result.reason = reason;
  return finish('not run');
}
