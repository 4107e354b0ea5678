// The contract of the one HTTP client every request goes through.
// The implementation (undici) lives beside this file; sources see only `SourceHttp`.
import type { Readable } from 'node:stream';

export interface RetryInfo {
  url: string;
  /** The attempt about to be made, from 2. */
  attempt: number;
  delayMs: number;
  error: Error;
}

export interface RequestOptions {
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** The caller's deadline (a source deadline, a cancel). Aborting it aborts the request at once. */
  signal?: AbortSignal;
  /** Whole request, connect to last byte, ms (default: REQUEST_TIMEOUT). Clipped by `signal`. */
  timeoutMs?: number;
  /** Connect phase, ms (default: min(timeoutMs, 10 s)). */
  connectTimeoutMs?: number;
  /** Waiting for response headers, ms (default: timeoutMs). */
  headersTimeoutMs?: number;
  /** Silence between two body chunks, ms (default: timeoutMs). */
  idleTimeoutMs?: number;
  /** Retries after a transient failure (default 0 for `request`, the context's for sources). */
  retries?: number;
  onRetry?: (info: RetryInfo) => void;
  /** Default 5; every hop is re-checked by the private-network guard. */
  maxRedirects?: number;
  /** Statuses returned instead of thrown as HttpStatusError (default: 200–299). */
  acceptStatus?: (status: number) => boolean;
  /** Largest body the text/json helpers read, bytes (default 20 MiB). */
  maxBodyBytes?: number;
  /**
   * Wall-clock instant (Date.now() ms) of the caller's deadline, when known: a retry whose
   * delay would reach past it gives up at once instead of sleeping into the abort.
   */
  deadlineAt?: number;
}

/** A response whose body has not been read yet. */
export interface HttpResponse {
  status: number;
  /** The final URL, after redirects. */
  url: string;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body stream; read it, or call `dump()` to release the connection. */
  body: Readable;
  text(): Promise<string>;
  dump(): Promise<void>;
}

/** A response read whole as text. */
export interface TextResponse {
  status: number;
  url: string;
  headers: Record<string, string>;
  text: string;
}

/** What a source may do over HTTP: GET a page as text, with the context's policies applied. */
export interface SourceHttp {
  /** GET a page. Throws HttpStatusError for statuses outside `acceptStatus` once retries are spent. */
  getText(url: string, options?: RequestOptions): Promise<TextResponse>;
  /** GET and JSON.parse; invalid JSON is a ParseError naming the source. */
  getJson<T = unknown>(url: string, options?: RequestOptions): Promise<TextResponse & { data: T }>;
}

export interface HttpClient extends SourceHttp {
  /** As SourceHttp's; `sourceId` names the source in the ParseError of invalid JSON (default: the host). */
  getJson<T = unknown>(
    url: string,
    options?: RequestOptions & { sourceId?: string },
  ): Promise<TextResponse & { data: T }>;
  /** A streaming request (downloads). */
  request(url: string, options?: RequestOptions): Promise<HttpResponse>;
  /** Closes every pooled connection. */
  close(): Promise<void>;
}
