// Reads a response body whole, as text, decompressing gzip/deflate/br with a byte cap on the
// *decompressed* size: a 10 KB gzip bomb that inflates to gigabytes is a TooLargeError after
// `maxBytes`, never an out-of-memory.
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate, type Gunzip } from 'node:zlib';
import { HarvesterError, NetworkError, TooLargeError } from '../core/errors.ts';
import { JsonNestingScanner, MAX_JSON_DEPTH, looksLikeJson } from './json-nesting.ts';

function decoderFor(encoding: string): Gunzip | ReturnType<typeof createBrotliDecompress> | null {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return null;
  }
}

function charsetOf(contentType: string | undefined): string {
  const match = /charset\s*=\s*"?([\w.:-]+)"?/i.exec(contentType ?? '');
  const label = match?.[1]?.toLowerCase() ?? 'utf-8';
  try {
    new TextDecoder(label);
    return label;
  } catch {
    return 'utf-8';
  }
}

/**
 * Reads `body` to a string. `contentEncoding` is the response's Content-Encoding (only one
 * coding is supported; "identity" or none means as-is); `maxBytes` bounds the decoded size.
 */
export async function readBodyText(
  body: Readable,
  headers: Record<string, string>,
  maxBytes: number,
  url: string,
): Promise<string> {
  const encoding = (headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  let source: AsyncIterable<Buffer> = body;
  let decoder: ReturnType<typeof decoderFor> = null;
  if (encoding !== '' && encoding !== 'identity') {
    decoder = decoderFor(encoding);
    if (!decoder) {
      body.destroy();
      throw new HarvesterError(`unsupported Content-Encoding "${encoding}" from ${url}`);
    }
    // Errors of the raw body (timeouts, resets) must end the decoder too.
    body.on('error', (error) => decoder!.destroy(error));
    body.pipe(decoder);
    source = decoder;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let nesting: JsonNestingScanner | null | undefined;
  try {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > maxBytes) {
        throw new TooLargeError(
          `response body of ${url} exceeds ${maxBytes} bytes${decoder ? ` after ${encoding} decoding` : ''}`,
        );
      }
      // Checked chunk by chunk while the answer arrives, so a hostile one is refused before any parse.
      if (nesting === undefined)
        nesting = looksLikeJson(headers['content-type'], chunk) ? new JsonNestingScanner() : null;
      if (nesting && !nesting.feed(chunk)) {
        throw new TooLargeError(`response body of ${url} nests deeper than ${MAX_JSON_DEPTH} levels`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    body.destroy();
    decoder?.destroy();
    if (error instanceof HarvesterError) throw error;
    const code = (error as { code?: string }).code;
    if (decoder && typeof code === 'string' && code.startsWith('Z_')) {
      throw new NetworkError(`corrupt ${encoding} body from ${url}: ${(error as Error).message}`, code, {
        cause: error,
      });
    }
    throw error;
  }
  return new TextDecoder(charsetOf(headers['content-type'])).decode(Buffer.concat(chunks, size));
}
