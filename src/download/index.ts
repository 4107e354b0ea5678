// The downloader's public API.
export { downloadFile } from './download-file.ts';
export type { DownloadOptions, DownloadOutcome, CommitInfo } from './download-file.ts';
export { sniffMedia, mediaDimensions } from './sniff.ts';
export type { SniffedMedia } from './sniff.ts';
