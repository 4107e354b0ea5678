// The UI's API client: JSON over fetch with the token (if any) as a Bearer header, and URLs for
// the few routes a browser opens by itself (EventSource, <img>, download links), which carry it
// as `?access_token=` instead because those cannot send headers.
import type { JobDocument, JobSummary, SavedFile, SourceInfo, StatsReport, LogTail } from './types.ts';

const TOKEN_KEY = 'harvester.apiToken';

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {}
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null,
  ) {
    super(message);
  }
}

/** Called when a request is refused for want of a valid token. */
let onUnauthorized: (message: string) => void = () => {};
export function handleUnauthorized(handler: (message: string) => void): void {
  onUnauthorized = handler;
}

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) {
    let code = 'HTTP_ERROR';
    let message = `HTTP ${response.status}`;
    let field: string | null = null;
    try {
      const data = (await response.json()) as { code?: string; message?: string; field?: string };
      code = data.code ?? code;
      message = data.message ?? message;
      field = data.field ?? null;
    } catch {}
    if (response.status === 401) onUnauthorized(message);
    throw new ApiError(response.status, code, message, field);
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** A URL a browser opens itself, with the token in the query when one is set. */
export function withToken(path: string): string {
  const token = getToken();
  if (!token) return path;
  return `${path}${path.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
}

const jobPath = (id: string): string => `/api/jobs/${encodeURIComponent(id)}`;

export const api = {
  sources: () => request<{ sources: SourceInfo[]; demo: boolean }>('GET', '/api/sources'),
  createJob: (spec: {
    query?: string;
    queries?: string[];
    sources: string[];
    limit: number;
    type: string;
    filters?: Record<string, string | number>;
    keep_near_duplicates?: boolean;
  }) => request<{ job_id: string; status: string }>('POST', '/api/jobs', spec),
  listJobs: (params: { status?: string; limit?: number; offset?: number }) => {
    const q = new URLSearchParams();
    if (params.status) q.set('status', params.status);
    if (params.limit !== undefined) q.set('limit', String(params.limit));
    if (params.offset !== undefined) q.set('offset', String(params.offset));
    const qs = q.toString();
    return request<{ jobs: JobSummary[]; next_offset: number | null }>('GET', `/api/jobs${qs ? `?${qs}` : ''}`);
  },
  job: (id: string) => request<JobDocument>('GET', jobPath(id)),
  /** One page of a job's files (the document lists only the first 100). */
  jobFiles: (id: string, offset: number, limit: number) =>
    request<{ total: number; next_offset: number | null; files: SavedFile[] }>(
      'GET',
      `${jobPath(id)}/files?offset=${offset}&limit=${limit}`,
    ),
  cancel: (id: string) => request<{ status: string }>('POST', `${jobPath(id)}/cancel`),
  retry: (id: string) => request<{ job_id: string; status: string }>('POST', `${jobPath(id)}/retry`),
  resume: (id: string) => request<{ job_id: string; status: string }>('POST', `${jobPath(id)}/resume`),
  logs: (params: { lines: number; errors: boolean; since?: number }) => {
    const q = new URLSearchParams({ lines: String(params.lines) });
    if (params.errors) q.set('errors', 'true');
    if (params.since !== undefined) q.set('since', String(params.since));
    return request<LogTail>('GET', `/api/logs?${q.toString()}`);
  },
  stats: (range: string) => request<StatsReport>('GET', `/api/stats?range=${encodeURIComponent(range)}`),
  fileUrl: (id: string, index: number) => withToken(`${jobPath(id)}/files/${index}`),
  archiveUrl: (id: string) => withToken(`${jobPath(id)}/archive.zip`),
  eventsUrl: (id: string) => withToken(`${jobPath(id)}/events`),
};
