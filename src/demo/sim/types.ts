// The contract of a simulated source: answers the real service's paths with its recorded
// responses (fixtures/<source>/), media URLs rewritten to the simulation's own media route.
import type { IncomingHttpHeaders } from 'node:http';
import type { MediaKind, SourceId } from '../../core/types.ts';
import type { GeneratedResults } from './generated.ts';

export interface SimRequest {
  method: string;
  /** The path without the query, e.g. `/images/async`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

export interface SimResponse {
  status?: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

export interface SimHelpers {
  /** This source's simulated origin, e.g. `http://127.0.0.1:41234`. */
  origin: string;
  /** A URL on this server that serves a small valid media file, distinct per `key`. */
  mediaUrl(key: string, kind: MediaKind): string;
  /** Reads `fixtures/<path>` as UTF-8 (cached). */
  fixture(path: string): string;
  /** Set when searches are answered with generated pictures instead of the recorded ones (./generated.ts). */
  generated?: GeneratedResults;
}

export interface SimSource {
  id: SourceId;
  /** Answers one request at the real path; anything else should be a 404. */
  handle(req: SimRequest, sim: SimHelpers): SimResponse | Promise<SimResponse>;
  /** Whether `handle` answers image searches with generated pictures when `sim.generated` is set. */
  generates?: boolean;
}
