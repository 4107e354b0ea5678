// The pseudo-source `urls` of `harvester get`: a list of media URLs run through the
// same runner as a real source — same deadline rules (URLS_TIMEOUT, else SOURCE_TIMEOUT), same
// downloader checks, same log lines and job document. Its candidates' kind is a guess from the
// file extension; the downloader decides from the bytes.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { URLS_SOURCE, type MediaCandidate, type MediaKind } from '../core/types.ts';

/** Most URLs one `get` job takes. */
export const MAX_URLS = 100_000;

const VIDEO_EXTENSIONS = new Set(['mp4', 'm4v', 'mov', 'webm', 'mkv', 'avi', 'mpg', 'mpeg', 'ogv', '3gp']);

/** Checks every URL is an absolute http(s) URL; the error names the first bad one and its position. */
export function validateUrls(urls: readonly string[]): void {
  if (urls.length === 0) throw new ConfigError('no URLs given: pass URLs as arguments or --input FILE');
  if (urls.length > MAX_URLS) throw new ConfigError(`too many URLs: ${urls.length} (at most ${MAX_URLS})`);
  urls.forEach((raw, i) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(`URL ${i + 1} is not a valid URL: ${JSON.stringify(raw)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError(`URL ${i + 1} must be http or https: ${JSON.stringify(raw)}`);
    }
  });
}

/** The candidate id of a URL: stable across jobs, so the download archive recognises it. */
export function urlCandidateId(url: string): string {
  return `${URLS_SOURCE}:${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;
}

function guessKind(url: URL): MediaKind {
  const ext = /\.([A-Za-z0-9]{2,5})$/.exec(url.pathname)?.[1]?.toLowerCase();
  return ext !== undefined && VIDEO_EXTENSIONS.has(ext) ? 'video' : 'image';
}

/** The candidates of a URL list, in order, each made when it is pulled (not a second list as long as the URLs). */
export function* urlCandidates(urls: readonly string[]): Generator<MediaCandidate> {
  for (const raw of urls) {
    const url = new URL(raw);
    let title: string | undefined;
    try {
      title = decodeURIComponent(basename(url.pathname)) || undefined;
    } catch {
      title = basename(url.pathname) || undefined;
    }
    const candidate: MediaCandidate = {
      id: urlCandidateId(url.href),
      source: URLS_SOURCE,
      kind: guessKind(url),
      url: url.href,
    };
    if (title !== undefined) candidate.title = title;
    yield candidate;
  }
}

/** The job's query for a URL list: the input file's name, the single URL, or `N urls`. */
export function urlsQueryName(urls: readonly string[], inputFile?: string): string {
  let name: string;
  if (inputFile !== undefined) name = inputFile === '-' ? 'stdin' : basename(inputFile);
  else name = urls.length === 1 ? urls[0]! : `${urls.length} urls`;
  // A query is at most 200 characters (the spec bound); a long URL is cut, not refused.
  return name.slice(0, 200);
}

/** Parses a URL list: one URL a line; blank lines and `#` comments are skipped. */
export function parseUrlList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
