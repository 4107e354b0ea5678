// Parsers of CLI flag values: each names the flag, the value and what is expected, and throws
// commander's InvalidArgumentError so that a bad value is a usage error (exit 2) before any work.
// No engine module is imported here: flags are checked before the engine loads.
import { InvalidArgumentError } from 'commander';
import {
  LICENSE_FILTERS,
  ORIENTATIONS,
  SOURCE_IDS,
  type JobSourceName,
  type LicenseFilter,
  type MediaType,
  type Orientation,
} from '../core/types.ts';
import { MAX_DIMENSION, MAX_LIMIT, MEDIA_TYPES, MIN_LIMIT } from '../core/spec-rules.ts';

export function parseLimit(raw: string): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < MIN_LIMIT || Number(raw) > MAX_LIMIT) {
    throw new InvalidArgumentError(
      `--limit must be an integer from ${MIN_LIMIT} to ${MAX_LIMIT} (got ${JSON.stringify(raw)}).`,
    );
  }
  return Number(raw);
}

export function parseType(raw: string): MediaType {
  if (!MEDIA_TYPES.includes(raw as MediaType)) {
    throw new InvalidArgumentError(`--type must be one of ${MEDIA_TYPES.join(', ')} (got ${JSON.stringify(raw)}).`);
  }
  return raw as MediaType;
}

/** `a,b` → ['a', 'b']; every id must be a known source. */
export function parseSources(raw: string): JobSourceName[] {
  const ids = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (ids.length === 0) throw new InvalidArgumentError('--sources needs at least one source id.');
  const unknown = ids.filter((id) => !(SOURCE_IDS as readonly string[]).includes(id));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `unknown source${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} in --sources (known: ${SOURCE_IDS.join(', ')}).`,
    );
  }
  return [...new Set(ids)] as JobSourceName[];
}

export function parseCount(flag: string) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw.trim()))
      throw new InvalidArgumentError(`${flag} must be a whole number (got ${JSON.stringify(raw)}).`);
    return Number(raw);
  };
}

/** A directory flag: not empty. */
export function parseDirectory(flag: string) {
  return (raw: string): string => {
    if (raw.trim() === '') throw new InvalidArgumentError(`${flag} needs a directory path.`);
    return raw;
  };
}

/** A pixel size: a whole number from 1 to MAX_DIMENSION. */
export function parseDimension(flag: string) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > MAX_DIMENSION) {
      throw new InvalidArgumentError(
        `${flag} must be a whole number of pixels from 1 to ${MAX_DIMENSION} (got ${JSON.stringify(raw)}).`,
      );
    }
    return Number(raw);
  };
}

export function parseOrientation(raw: string): Orientation {
  if (!ORIENTATIONS.includes(raw as Orientation)) {
    throw new InvalidArgumentError(
      `--orientation must be one of ${ORIENTATIONS.join(', ')} (got ${JSON.stringify(raw)}).`,
    );
  }
  return raw as Orientation;
}

export function parseLicenseFilter(raw: string): LicenseFilter {
  if (!LICENSE_FILTERS.includes(raw as LicenseFilter)) {
    throw new InvalidArgumentError(
      `--license must be one of ${LICENSE_FILTERS.join(', ')} (got ${JSON.stringify(raw)}).`,
    );
  }
  return raw as LicenseFilter;
}
