// A job's filters (`min_width`, `min_height`, `orientation`, `license`): checked on the candidate
// before download with what it claims, and again on the downloaded file's real dimensions, since
// a source's claim may be wrong. Each picture that fails is counted under the first filter it
// fails (licence, then width, height, orientation), so the reasons add up to the `filtered` total.
import { licenseAllowed, normalizeLicense } from '../core/license.ts';
import type { FilterReason, JobFilters, MediaCandidate } from '../core/types.ts';

/** Within this share of the longer side, width and height count as equal: the picture is square. */
const SQUARE_TOLERANCE = 0.01;

/** The filters of a job, or null when it has none that removes anything (`get` jobs by default). */
export function activeFilters(filters: JobFilters | undefined): JobFilters | null {
  if (filters === undefined) return null;
  const active: JobFilters = { ...filters };
  if (active.license === 'any') delete active.license;
  return Object.keys(active).length > 0 ? active : null;
}

/** Whether a job's filters need a picture's dimensions. */
export function needsDimensions(filters: JobFilters): boolean {
  return filters.min_width !== undefined || filters.min_height !== undefined || filters.orientation !== undefined;
}

/**
 * The filter a candidate fails on what it claims, or null. A licence the candidate does not
 * carry fails `open` and `commercial`; sizes it does not claim are left to the check after download.
 */
export function candidateFailure(filters: JobFilters, candidate: MediaCandidate): FilterReason | null {
  if (filters.license !== undefined && filters.license !== 'any') {
    const license = normalizeLicense(candidate.license, candidate.licenseUrl);
    if (!licenseAllowed(filters.license, license)) return 'license';
  }
  if (candidate.width === undefined || candidate.height === undefined) return null;
  return sizeFailure(filters, candidate.width, candidate.height);
}

/**
 * The filter a downloaded file fails on its real dimensions, or null. Dimensions that could not be
 * read fail the first size filter asked: a filter that promises a minimum size must not guess.
 */
export function fileFailure(filters: JobFilters, width: number | null, height: number | null): FilterReason | null {
  if (!needsDimensions(filters)) return null;
  if (width === null || height === null) {
    return filters.min_width !== undefined
      ? 'min_width'
      : filters.min_height !== undefined
        ? 'min_height'
        : 'orientation';
  }
  return sizeFailure(filters, width, height);
}

function sizeFailure(filters: JobFilters, width: number, height: number): FilterReason | null {
  if (filters.min_width !== undefined && width < filters.min_width) return 'min_width';
  if (filters.min_height !== undefined && height < filters.min_height) return 'min_height';
  if (filters.orientation !== undefined && orientationOf(width, height) !== filters.orientation) return 'orientation';
  return null;
}

/** `square` when the sides differ by at most 1% of the longer one, else the longer side decides. */
export function orientationOf(width: number, height: number): 'landscape' | 'portrait' | 'square' {
  if (Math.abs(width - height) <= SQUARE_TOLERANCE * Math.max(width, height)) return 'square';
  return width > height ? 'landscape' : 'portrait';
}
