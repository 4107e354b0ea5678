// The downloader's public API.
export { downloadFile } from './download-file.ts';
export type { DownloadOptions, DownloadOutcome, CommitInfo } from './download-file.ts';
export { querySlug, mediaFileName, safeJoin, assertPlainName, UnsafePathError, MAX_SLUG_BYTES } from './naming.ts';
export { localDirectorySink, toDiskError } from './file-sink.ts';
export type { MediaSink, PartWriter } from './file-sink.ts';
export { sniffMedia, mediaDimensions } from './sniff.ts';
export type { SniffedMedia } from './sniff.ts';
