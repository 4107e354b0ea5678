// Maps whatever undici or the OS throws to the error classes of core/errors.ts, so no raw
// undici error ever reaches a caller and the runner can decide on `retryable` alone.
import { CancelledError, HarvesterError, NetworkError, TimeoutError, TruncatedError } from '../core/errors.ts';

/** What the mapper needs to word a message: where, and which timeouts were in force. */
export interface ErrorContext {
  url: string;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
}

const SYSTEM_MESSAGES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed (temporary)',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed while sending',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNABORTED: 'connection aborted',
  EPROTO: 'TLS protocol error',
};

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** The error an aborted signal stands for: its reason if that is one of ours, else a CancelledError. */
export function abortReason(signal: AbortSignal): HarvesterError {
  const reason: unknown = signal.reason;
  if (reason instanceof HarvesterError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new CancelledError(`aborted by the caller's timeout: ${reason.message}`, { cause: reason });
  }
  const detail = reason instanceof Error ? reason.message : reason === undefined ? 'aborted' : String(reason);
  return new CancelledError(`request aborted: ${detail}`, { cause: reason });
}

/** Maps any thrown value from a request or its body to a HarvesterError. */
export function toHarvesterError(error: unknown, ctx: ErrorContext): HarvesterError {
  if (error instanceof HarvesterError) return error;
  const err = error as (Error & { code?: string; cause?: unknown }) | undefined;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const host = hostOf(ctx.url);
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new TimeoutError(
        'connect',
        ctx.connectTimeoutMs,
        `Timeout awaiting 'connect' for ${ctx.connectTimeoutMs}ms (${host})`,
      );
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new TimeoutError(
        'headers',
        ctx.headersTimeoutMs,
        `Timeout awaiting 'headers' for ${ctx.headersTimeoutMs}ms (${host})`,
      );
    case 'UND_ERR_BODY_TIMEOUT':
      return new TimeoutError(
        'idle',
        ctx.idleTimeoutMs,
        `Timeout awaiting 'idle' (no body data) for ${ctx.idleTimeoutMs}ms (${host})`,
      );
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return new TruncatedError(`body shorter than its Content-Length (${host})`, { cause: error });
    case 'UND_ERR_SOCKET':
      // "other side closed": the server hung up mid-response; same remedy as a reset.
      return new NetworkError(
        `connection closed by the server: ${err?.message ?? 'socket error'} (${host})`,
        'ECONNRESET',
        { cause: error },
      );
    case 'UND_ERR_ABORTED':
    case 'UND_ERR_ABORT':
    case 'ABORT_ERR':
      return new CancelledError(`request aborted (${host})`, { cause: error });
    case 'UND_ERR_HEADERS_OVERFLOW':
      return new NetworkError(`response headers too large (${host})`, code, { cause: error });
    case 'UND_ERR_INVALID_ARG':
    case 'UND_ERR_NOT_SUPPORTED':
    case 'ERR_INVALID_URL':
      return new HarvesterError(`invalid request to ${ctx.url}: ${err?.message ?? code}`, { cause: error });
    default:
      break;
  }
  if (err?.name === 'AbortError') return new CancelledError(`request aborted (${host})`, { cause: error });
  if (code !== undefined && code.startsWith('HPE_')) {
    return new NetworkError(`invalid HTTP response from ${host}: ${err?.message ?? code}`, code, { cause: error });
  }
  if (
    (code !== undefined && code.startsWith('ERR_TLS')) ||
    code === 'CERT_HAS_EXPIRED' ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
  ) {
    return new NetworkError(`TLS error with ${host}: ${err?.message ?? code}`, code, { cause: error });
  }
  if (code !== undefined && /^E[A-Z_]+$/.test(code)) {
    const what = SYSTEM_MESSAGES[code] ?? err?.message ?? code;
    return new NetworkError(`${what} (${code}) ${host}`, code, { cause: error });
  }
  return new NetworkError(`request to ${host} failed: ${err?.message ?? String(error)}`, code, { cause: error });
}
