// The file output's public API.
export type { ByteRange, FileOutput, FileOutputFactory, MediaSink, PartWriter, StoredFile } from './file-output.ts';
export { localDirectoryOutput } from './local-directory.ts';
export { localDirectorySink, toDiskError } from './local-part-writer.ts';
export { querySlug, mediaFileName, safeJoin, assertPlainName, UnsafePathError, MAX_SLUG_BYTES } from './naming.ts';
