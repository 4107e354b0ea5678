// Licences as the sources give them — Openverse's "CC BY-SA 2.0", Wikimedia's LicenseShortName
// ("CC BY-SA 4.0", "Public domain", "CC0"), a deed URL, Unsplash's own licence — read into one
// shape, and classified for the `--license` filter: `open` is Creative Commons or public domain,
// `commercial` is whatever allows commercial use. Text that is not recognised is no licence
// information at all, which both `open` and `commercial` exclude: a filter that promises reuse
// must not guess.

export type LicenseFamily = 'cc' | 'cc0' | 'public_domain' | 'unsplash' | 'pexels' | 'pixabay' | 'gfdl';

export interface NormalizedLicense {
  family: LicenseFamily;
  /** The Creative Commons elements (`by`, `by-sa`, `by-nc-nd`); absent for other families. */
  code?: string;
  /** "4.0", "2.5"…, when given. */
  version?: string;
  /** A display name: "CC BY-SA 4.0", "CC0 1.0", "Public domain", "Unsplash License". */
  name: string;
  /** Creative Commons or public domain. */
  open: boolean;
  /** Commercial use allowed (with the licence's conditions: attribution, share-alike…). */
  commercial: boolean;
  /** What the licence lets a data-set builder do, in one line. */
  allows: string;
}

const CC_ELEMENTS = /^by(-nc)?(-sa|-nd)?$/;
const VERSION = /^\d{1,2}(\.\d{1,2})?$/;

function cc(code: string, version: string | undefined): NormalizedLicense {
  const nc = code.includes('-nc');
  const conditions = [
    'attribution',
    ...(code.includes('-sa') ? ['share-alike'] : []),
    ...(code.includes('-nd') ? ['no derivatives'] : []),
  ];
  return {
    family: 'cc',
    code,
    ...(version ? { version } : {}),
    name: `CC ${code.toUpperCase()}${version ? ` ${version}` : ''}`,
    open: true,
    commercial: !nc,
    allows: `${nc ? 'non-commercial use only' : 'any use'}, with ${conditions.join(', ')}`,
  };
}

const PUBLIC_DOMAIN_ALLOWS = 'any use, no conditions';
const STOCK_ALLOWS =
  'free commercial and non-commercial use without attribution; not selling unaltered copies or building a competing service';

function family(
  f: 'cc0' | 'public_domain' | 'unsplash' | 'pexels' | 'pixabay' | 'gfdl',
  version?: string,
): NormalizedLicense {
  switch (f) {
    case 'cc0':
      return {
        family: f,
        ...(version ? { version } : {}),
        name: `CC0${version ? ` ${version}` : ''}`,
        open: true,
        commercial: true,
        allows: PUBLIC_DOMAIN_ALLOWS,
      };
    case 'public_domain':
      return { family: f, name: 'Public domain', open: true, commercial: true, allows: PUBLIC_DOMAIN_ALLOWS };
    case 'unsplash':
      return { family: f, name: 'Unsplash License', open: false, commercial: true, allows: STOCK_ALLOWS };
    case 'pexels':
      return { family: f, name: 'Pexels License', open: false, commercial: true, allows: STOCK_ALLOWS };
    case 'pixabay':
      return { family: f, name: 'Pixabay Content License', open: false, commercial: true, allows: STOCK_ALLOWS };
    case 'gfdl':
      return {
        family: f,
        name: 'GNU Free Documentation License',
        open: false,
        commercial: true,
        allows: 'any use, with the licence text and attribution; copyleft',
      };
  }
}

/** Reads a deed URL: creativecommons.org licences and public-domain tools, and the stock sites' licence pages. */
function fromUrl(raw: string): NormalizedLicense | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  const host = url.hostname.toLowerCase().replace(/^www\./, '');
  const parts = url.pathname
    .toLowerCase()
    .split('/')
    .filter((p) => p !== '');
  if (host === 'creativecommons.org') {
    const version = parts[2] !== undefined && VERSION.test(parts[2]) ? parts[2] : undefined;
    if (parts[0] === 'licenses' && parts[1] !== undefined && CC_ELEMENTS.test(parts[1])) return cc(parts[1], version);
    if (parts[0] === 'publicdomain' && parts[1] === 'zero') return family('cc0', version);
    if (parts[0] === 'publicdomain' && parts[1] === 'mark') return family('public_domain');
    return null;
  }
  if (host === 'unsplash.com' && parts[0] === 'license') return family('unsplash');
  if (host === 'pexels.com' && (parts.includes('license') || parts.includes('photo-license'))) return family('pexels');
  if (
    host === 'pixabay.com' &&
    parts[0] === 'service' &&
    (parts[1] === 'license' || parts[1] === 'license-summary' || parts[1] === 'terms')
  )
    return family('pixabay');
  if (host === 'gnu.org' && parts.some((p) => p.startsWith('fdl'))) return family('gfdl');
  return null;
}

// Long Creative Commons names ("Attribution-NonCommercial-ShareAlike 4.0 International").
const ELEMENT_WORDS: [RegExp, string][] = [
  [/non-?commercial/, 'nc'],
  [/share-?alike/, 'sa'],
  [/no-?deriv(ative)?s?/, 'nd'],
];

/** Reads a licence's name as the sources write it. */
function fromText(raw: string): NormalizedLicense | null {
  const text = raw
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[_\s]+/g, ' ')
    .trim();
  if (text === '') return null;
  const version = /(?:^|[\s-])(\d{1,2}\.\d{1,2}|[1-4])(?:\s|$)/.exec(text)?.[1];
  if (/\bcc ?0\b|\bcc[- ]zero\b|public domain dedication/.test(text)) return family('cc0', version);
  if (/\bpublic ?domain\b|^pd(m|-[a-z0-9-]+)?\b|\bpublic domain mark\b/.test(text)) return family('public_domain');
  if (/\bunsplash\b/.test(text)) return family('unsplash');
  if (/\bpexels\b/.test(text)) return family('pexels');
  if (/\bpixabay\b/.test(text)) return family('pixabay');
  if (/\bgfdl\b|gnu free documentation/.test(text)) return family('gfdl');
  // "CC BY-SA 4.0", "by-sa 4.0", "by-sa": a bare "by" must carry the CC prefix, a version, or be all there is.
  const short = /^(cc[- ])?(by(?:[- ](?:nc|sa|nd))*)([- ]\d.*|\s.*)?$/.exec(text.replace(/^creative commons /, 'cc '));
  if (short && (short[1] !== undefined || short[3] === undefined || /^[- ]\d/.test(short[3]))) {
    const code = short[2]!.replace(/ /g, '-');
    if (CC_ELEMENTS.test(code)) return cc(code, version);
  }
  if (/\battribution\b/.test(text) && /creative commons|\bcc\b|international|unported|generic|\d\.\d/.test(text)) {
    const code = ['by', ...ELEMENT_WORDS.filter(([re]) => re.test(text)).map(([, el]) => el)]
      .join('-')
      .replace('by-sa-nd', 'by-nd');
    if (CC_ELEMENTS.test(code)) return cc(code, version);
  }
  return null;
}

/** The licence a file carries, from its name and its URL (the URL wins: it is exact), or null when neither is recognised. */
export function normalizeLicense(
  license: string | null | undefined,
  licenseUrl?: string | null,
): NormalizedLicense | null {
  const byUrl = licenseUrl ? fromUrl(licenseUrl) : null;
  const byText = license ? fromText(license) : null;
  if (byUrl && byText && byUrl.family === byText.family && byUrl.version === undefined && byText.version !== undefined)
    return byText;
  return byUrl ?? byText;
}

export type LicenseRequirement = 'any' | 'open' | 'commercial';

/** Whether a file with this licence passes `--license`; unknown licences pass only `any`. */
export function licenseAllowed(requirement: LicenseRequirement, license: NormalizedLicense | null): boolean {
  if (requirement === 'any') return true;
  if (license === null) return false;
  return requirement === 'open' ? license.open : license.commercial;
}

/**
 * How freely a data-set builder may use and share a copy under this licence, higher is freer: the
 * order in which two copies of one picture of the same size are preferred (near-duplicates, see
 * docs/ARCHITECTURE.md). Public domain and CC0 (no conditions) first; then Creative Commons by
 * its conditions — attribution only, share-alike, the GFDL's copyleft with its licence text, no
 * derivatives, then the non-commercial ones in the same order; then the stock sites' own licences
 * (free to use, but they forbid redistributing the unaltered pictures, which is what sharing a
 * data set does); last, no licence information.
 */
export function licenseRank(license: NormalizedLicense | null): number {
  if (license === null) return 0;
  switch (license.family) {
    case 'public_domain':
    case 'cc0':
      return 10;
    case 'gfdl':
      return 7;
    case 'unsplash':
    case 'pexels':
    case 'pixabay':
      return 1;
    case 'cc':
      return CC_RANKS[license.code ?? ''] ?? 1;
  }
}

const CC_RANKS: Record<string, number> = {
  by: 9,
  'by-sa': 8,
  'by-nd': 6,
  'by-nc': 5,
  'by-nc-sa': 4,
  'by-nc-nd': 3,
};
