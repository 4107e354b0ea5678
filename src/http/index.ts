// The HTTP layer's public API: sources, the downloader, jobs and faces import from here.
export { createHttpClient } from './client.ts';
export { bindSourceHttp } from './source-http.ts';
export { withRetries, DOWNLOAD_RETRY_DELAYS } from './retry.ts';
export { parseJson } from './parse-json.ts';
export { linkAbort } from './abort.ts';
export { abortReason } from './map-error.ts';
export type * from './types.ts';
