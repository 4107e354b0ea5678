// The HTTP layer's public API: sources, the downloader, jobs and faces import from here.
export { createHttpClient, DEFAULT_USER_AGENT, DEFAULT_MAX_BODY_BYTES } from './client.ts';
export type { HttpClientOptions, ClientRequestOptions } from './client.ts';
export { DEFAULT_MAX_REDIRECTS } from './redirect.ts';
export { bindSourceHttp } from './source-http.ts';
export type { SourceHttpPolicy } from './source-http.ts';
export { withRetries, SEARCH_RETRY_DELAYS, DOWNLOAD_RETRY_DELAYS } from './retry.ts';
export type { RetryPolicy, RetryDelays } from './retry.ts';
export { retryDelayMs, parseRetryAfterMs } from './retry-delay.ts';
export type { RetryDelayOptions } from './retry-delay.ts';
export { parseJson } from './parse-json.ts';
export { isPrivateAddress } from './address-guard.ts';
export { sleep, anySignal, linkAbort } from './abort.ts';
export { abortReason } from './map-error.ts';
export type * from './types.ts';
