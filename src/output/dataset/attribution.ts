// ATTRIBUTION.md of a data-set export: per file its title, author, source page and licence with
// its link, which Creative Commons licences require of whoever shares the pictures. Every field
// comes from the internet, so text is escaped for Markdown (no stray emphasis, link, heading or
// HTML) and only http(s) addresses become links.
import { escapeControlChars } from '../../core/control-chars.ts';
import type { SavedFile } from '../../core/types.ts';
import { exportFileName } from './dataset-record.ts';

export const ATTRIBUTION_FILE = 'ATTRIBUTION.md';

/** `text` as literal Markdown: one line, every punctuation character Markdown reads escaped. */
export function markdownText(text: string): string {
  return escapeControlChars(text.replace(/[\r\n\u2028\u2029]+/g, ' '))
    .replace(/[\\`*_{}[\]()<>#+\-.!|~&"'=:]/g, (c) => `\\${c}`)
    .trim();
}

/** A link target, or null for anything that is not a plain http(s) URL. */
function linkTarget(url: string | null): string | null {
  if (url === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  // Inside <…> a link may hold anything but <, > and line breaks; URL serialisation encodes those.
  return parsed.href.replace(/[<>\s]/g, encodeURIComponent);
}

function link(label: string, url: string | null): string {
  const target = linkTarget(url);
  return target === null ? markdownText(label) : `[${markdownText(label)}](<${target}>)`;
}

export async function* attributionMarkdown(files: Iterable<SavedFile>, jobTitle: string): AsyncGenerator<string> {
  yield `# Attribution\n\nPictures of ${markdownText(jobTitle)}, with their authors and licences.\n`;
  for (const file of files) {
    const lines = [`\n## ${markdownText(exportFileName(file))}\n`];
    lines.push(`- Title: ${file.title ? markdownText(file.title) : 'untitled'}`);
    lines.push(`- Author: ${file.author ? markdownText(file.author) : 'unknown'}`);
    lines.push(
      `- Source: ${markdownText(file.source)}, ${file.page_url ? link(file.page_url, file.page_url) : link(file.url, file.url)}`,
    );
    const licence = file.license ?? (file.license_url ? 'licence' : null);
    lines.push(`- Licence: ${licence === null ? 'unknown' : link(licence, file.license_url)}`);
    yield `${lines.join('\n')}\n`;
  }
}
