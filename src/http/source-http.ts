// The `ctx.http` a source receives: the shared client with the source's policies
// bound — its deadline signal, REQUEST_TIMEOUT, MAX_RETRIES_PER_SOURCE, the retry callback —
// so a source module only parses. Timeouts nest: a REQUEST_TIMEOUT longer than what is left of
// the source's deadline is simply cut short by the deadline signal.
import { anySignal } from './abort.ts';
import type { HttpClient, RequestOptions, RetryInfo, SourceHttp } from './types.ts';

export interface SourceHttpPolicy {
  /** The source's deadline and the job's cancel, combined. */
  signal: AbortSignal;
  /** One request, connect to last byte, ms (REQUEST_TIMEOUT). */
  timeoutMs: number;
  /** Retries of a transient failure (MAX_RETRIES_PER_SOURCE). */
  retries: number;
  onRetry?: (info: RetryInfo) => void;
  /** Sent with every request (a call's own headers win). */
  headers?: Record<string, string>;
  /** Names the source in ParseError for invalid JSON. */
  sourceId?: string;
  /** Wall-clock instant (Date.now() ms) of the source deadline: retries that would sleep past it give up at once. */
  deadlineAt?: number;
}

/** Binds `policy` to `client` for one source run. */
export function bindSourceHttp(client: HttpClient, policy: SourceHttpPolicy): SourceHttp {
  function merged(options: RequestOptions | undefined): { options: RequestOptions; dispose: () => void } {
    const { signal, dispose } = anySignal([policy.signal, options?.signal]);
    return {
      dispose,
      options: {
        ...options,
        signal,
        timeoutMs: options?.timeoutMs ?? policy.timeoutMs,
        retries: options?.retries ?? policy.retries,
        onRetry: options?.onRetry ?? policy.onRetry,
        headers: { ...policy.headers, ...options?.headers },
        deadlineAt: policy.deadlineAt,
      },
    };
  }

  /** Runs `send` with the policy bound to the call's options, releasing the combined signal after. */
  async function bound<T>(
    options: RequestOptions | undefined,
    send: (options: RequestOptions) => Promise<T>,
  ): Promise<T> {
    const { options: withPolicy, dispose } = merged(options);
    try {
      return await send(withPolicy);
    } finally {
      dispose();
    }
  }

  return {
    getText: (url, options) => bound(options, (withPolicy) => client.getText(url, withPolicy)),
    getJson: <T = unknown>(url: string, options?: RequestOptions) =>
      bound(options, (withPolicy) => client.getJson<T>(url, { ...withPolicy, sourceId: policy.sourceId })),
  };
}
