// File names and URLs from sources: nothing a source returns, and no query, can
// make a path escape DOWNLOAD_DIR. In-process properties of the naming functions the
// downloader uses, with hostile strings (traversal, separators of both kinds, NUL, device
// names, Unicode look-alikes, very long names); the oracle is an independent
// "resolved path stays under the root" check, not the functions' own logic.
import fc from 'fast-check';
import { resolve, sep } from 'node:path';
import { isQuerySlug, mediaFileName, querySlug, safeJoin } from '../../src/output/naming.ts';

const ROOT = resolve('/srv/harvester/downloads');

/** True when `p` is ROOT or inside it. */
function inside(p: string): boolean {
  const r = resolve(p);
  return r === ROOT || r.startsWith(ROOT + sep);
}

const hostilePiece = fc.constantFrom(
  '..',
  '.',
  '/',
  '\\',
  '../',
  '..\\',
  '/etc/passwd',
  'C:\\Windows',
  '\0',
  '%2e%2e%2f',
  '．．／',
  '‥',
  '..%00',
  '~',
  '$HOME',
  '|',
  ':',
  '*',
  '?',
  'con',
  'NUL',
  'aux.txt',
  'com1',
  ' ',
  '\n',
  '\u202e',
  'ﾠ',
  '..../',
  '.../...',
  'a'.repeat(300),
);
export const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.array(fc.oneof(hostilePiece, fc.string({ maxLength: 6 })), { maxLength: 12 }).map((parts) => parts.join('')),
);

export interface PathFuzzOutcome {
  property: string;
  runs: number;
  failure: string | null;
}

function check<Ts extends [unknown, ...unknown[]]>(
  property: string,
  prop: fc.IProperty<Ts>,
  numRuns: number,
  seed: number,
): PathFuzzOutcome {
  const details = fc.check(prop, { numRuns, seed });
  return {
    property,
    runs: details.numRuns,
    failure: details.failed ? (fc.defaultReportMessage(details) ?? 'failed').split('\n').slice(0, 4).join(' ') : null,
  };
}

export function fuzzNaming(numRuns: number, seed: number): PathFuzzOutcome[] {
  return [
    check(
      'querySlug of any query is a short plain name that stays inside DOWNLOAD_DIR',
      fc.property(hostileString, (q) => {
        const slug = querySlug(q);
        if (!isQuerySlug(slug)) throw new Error(`slug ${JSON.stringify(slug)} is not a query slug`);
        if (!inside(`${ROOT}/${slug}/openverse/${mediaFileName(slug, 1, 'png')}`)) throw new Error(`escapes: ${slug}`);
        return true;
      }),
      numRuns,
      seed,
    ),
    check(
      'mediaFileName either refuses a hostile extension or makes one plain name',
      fc.property(hostileString, fc.integer({ min: -5, max: 100_000 }), hostileString, (slugInput, n, ext) => {
        const slug = querySlug(slugInput);
        let name: string;
        try {
          name = mediaFileName(slug, n, ext);
        } catch (error) {
          if ((error as { code?: string }).code !== 'UNSAFE_PATH') throw error;
          return true;
        }
        if (name.includes('/') || name.includes('\\') || name.includes('\0') || name === '.' || name === '..')
          throw new Error(`not a plain name: ${JSON.stringify(name)}`);
        if (!inside(`${ROOT}/${slug}/${name}`)) throw new Error(`escapes: ${name}`);
        return true;
      }),
      numRuns,
      seed,
    ),
    check(
      'safeJoin with hostile segments either refuses or stays inside its root',
      fc.property(fc.array(hostileString, { minLength: 1, maxLength: 4 }), (segments) => {
        let joined: string;
        try {
          joined = safeJoin(ROOT, ...segments);
        } catch (error) {
          if ((error as { code?: string }).code !== 'UNSAFE_PATH') throw error;
          // A refusal is only right when the segments really would escape (or carry NUL).
          if (!segments.some((s) => s.includes('\0')) && inside(resolve(ROOT, ...segments)))
            throw new Error(`refused a safe path: ${JSON.stringify(segments)}`, { cause: error });
          return true;
        }
        if (!inside(joined)) throw new Error(`escaped: ${joined}`);
        return true;
      }),
      numRuns,
      seed,
    ),
  ];
}
