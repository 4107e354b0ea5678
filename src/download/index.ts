// The downloader's public API.
export { downloadFile } from './download-file.ts';
export type { DownloadOptions } from './download-file.ts';
