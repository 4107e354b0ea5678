// The web UI's entry point: a small hash router over four sections (search with the live job
// view, history, log, dashboard), the token dialog, and transient notices.
import { ApiError, api, getToken, handleUnauthorized, setToken } from './api.ts';
import { byId, h, replaceChildren } from './dom.ts';
import { dashboardView } from './dashboard-view.ts';
import { historyView } from './history-view.ts';
import { JobView } from './job-view.ts';
import { logView } from './log-view.ts';
import { searchForm } from './search-form.ts';
import type { SourceInfo } from './types.ts';

const main = byId('main');
const notice = byId('notice');
const tokenDialog = byId<HTMLDialogElement>('token-dialog');
const tokenInput = byId<HTMLInputElement>('token-input');
const tokenReason = byId('token-reason');

/** Whatever the current section must stop (an event stream, a log follower) when leaving it. */
let cleanup: (() => void) | null = null;
let noticeTimer: number | null = null;

function notify(message: string, kind: 'info' | 'error' = 'info'): void {
  notice.textContent = message;
  notice.dataset.kind = kind;
  notice.hidden = false;
  if (noticeTimer !== null) window.clearTimeout(noticeTimer);
  noticeTimer = window.setTimeout(() => (notice.hidden = true), kind === 'error' ? 8000 : 4000);
}

function openTokenDialog(reason?: string): void {
  tokenInput.value = getToken() ?? '';
  if (reason) tokenReason.textContent = `The server refused the request: ${reason}. Enter the server's API_TOKEN.`;
  if (!tokenDialog.open) tokenDialog.showModal();
  tokenInput.focus();
}

byId('token-button').addEventListener('click', () => openTokenDialog());
byId('token-clear').addEventListener('click', () => {
  setToken(null);
  tokenInput.value = '';
  tokenDialog.close();
  void route();
});
byId('token-form').addEventListener('submit', () => {
  setToken(tokenInput.value.trim() || null);
  void route();
});
handleUnauthorized((message) => openTokenDialog(message));

async function loadSources(): Promise<{ sources: SourceInfo[]; demo: boolean } | null> {
  try {
    const answer = await api.sources();
    byId('demo-badge').hidden = !answer.demo;
    return answer;
  } catch (error) {
    const needsToken = error instanceof ApiError && error.status === 401;
    replaceChildren(
      main,
      h(
        'section',
        { class: 'card' },
        h('h2', null, needsToken ? 'This server needs its API token' : 'Cannot reach the API'),
        h('p', { class: 'error-text' }, error instanceof ApiError ? error.message : 'network error'),
        needsToken ? h('button', { class: 'button primary', attrs: { type: 'button' }, on: { click: () => openTokenDialog() } }, 'Enter the token') : null,
      ),
    );
    return null;
  }
}

async function showSearch(jobId: string | null): Promise<void> {
  const answer = await loadSources();
  if (!answer) return;
  const form = searchForm({
    sources: answer.sources,
    onStarted: (id) => {
      window.location.hash = `#/jobs/${encodeURIComponent(id)}`;
    },
  });
  const children: HTMLElement[] = [form];
  if (jobId) {
    const view = new JobView(jobId, { sourceNames: new Map(answer.sources.map((s) => [s.id, s.name])), notify, openJob: (id) => (window.location.hash = `#/jobs/${id}`) });
    children.push(view.root);
    cleanup = () => view.stop();
    void view.start();
  }
  replaceChildren(main, ...children);
  if (jobId) children[1]?.scrollIntoView({ block: 'start' });
}

async function route(): Promise<void> {
  cleanup?.();
  cleanup = null;
  const hash = window.location.hash.replace(/^#/, '') || '/';
  const section = hash.startsWith('/history') ? 'history' : hash.startsWith('/logs') ? 'logs' : hash.startsWith('/dashboard') ? 'dashboard' : 'search';
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a[data-nav]')) {
    if (link.dataset.nav === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (section === 'history') {
    replaceChildren(main, historyView(notify));
  } else if (section === 'logs') {
    const view = logView(notify);
    cleanup = () => view.stop();
    replaceChildren(main, view.root);
  } else if (section === 'dashboard') {
    replaceChildren(main, dashboardView(notify));
  } else {
    const match = /^\/jobs\/([^/?#]+)/.exec(hash);
    await showSearch(match ? decodeURIComponent(match[1]!) : null);
  }
  document.title = `Harvester · ${section === 'search' ? 'Search' : section[0]!.toUpperCase() + section.slice(1)}`;
}

window.addEventListener('hashchange', () => void route());
void route();
