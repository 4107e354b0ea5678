// Building a MediaCandidate: optional fields the service did not give are left out entirely
// (not set to undefined), so candidates compare, serialise and store the same way everywhere.
import type { MediaCandidate } from '../../core/types.ts';

/** The candidate without its undefined optional fields. */
export function candidate(fields: MediaCandidate): MediaCandidate {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out as unknown as MediaCandidate;
}
