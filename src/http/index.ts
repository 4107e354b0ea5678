// The HTTP layer's public API.
export { createHttpClient, DEFAULT_USER_AGENT, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_REDIRECTS } from './client.ts';
export type { HttpClientOptions, ClientRequestOptions } from './client.ts';
export { bindSourceHttp } from './source-http.ts';
export type { SourceHttpPolicy } from './source-http.ts';
export { retryDelayMs, parseRetryAfterMs } from './retry-delay.ts';
export type { RetryDelayOptions } from './retry-delay.ts';
export { isPrivateAddress } from './address-guard.ts';
export { sleep, anySignal, linkAbort } from './abort.ts';
export type * from './types.ts';
