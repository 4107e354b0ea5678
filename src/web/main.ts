// The web UI's entry point: a small hash router over the views (search, a job, history, log,
// dashboard), the token dialog, and transient notices. On every route change the new view's
// heading takes the focus and the document title names the view.
import { announce, announceError, clearAnnouncements } from './announcer.ts';
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
  if (kind === 'error') announceError(message);
  else announce(message);
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

/** "Harvester · red fox · running": the view, then what it shows. */
function setTitle(...parts: string[]): void {
  document.title = ['Harvester', ...parts.filter((p) => p !== '')].join(' · ');
}

// The skip link moves the focus to the main region; following its `#main` would change the route.
byId('skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
  main.scrollIntoView({ block: 'start' });
});

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
        { class: 'card', attrs: { 'aria-labelledby': 'view-title' } },
        h(
          'h1',
          { attrs: { id: 'view-title', tabindex: -1 } },
          needsToken ? 'This server needs its API token' : 'Cannot reach the API',
        ),
        h('p', { class: 'error-text' }, error instanceof ApiError ? error.message : 'network error'),
        needsToken
          ? h(
              'button',
              { class: 'button primary', attrs: { type: 'button' }, on: { click: () => openTokenDialog() } },
              'Enter the token',
            )
          : null,
      ),
    );
    return null;
  }
}

async function showSearch(): Promise<void> {
  const answer = await loadSources();
  if (!answer) return;
  replaceChildren(
    main,
    searchForm({
      sources: answer.sources,
      onStarted: (id) => {
        justStarted = id;
        window.location.hash = `#/jobs/${encodeURIComponent(id)}`;
      },
    }),
  );
}

/** The job this page started last: its view announces everything, even what came before it opened. */
let justStarted: string | null = null;

async function showJob(jobId: string): Promise<void> {
  // The sources' display names; the job view still works (with ids) when they cannot be read.
  const answer = await api.sources().catch(() => null);
  const view = new JobView(jobId, {
    sourceNames: new Map((answer?.sources ?? []).map((s) => [s.id, s.name])),
    notify,
    setTitle: (query, status) => setTitle(query, status),
    fresh: justStarted === jobId,
  });
  justStarted = null;
  cleanup = () => view.stop();
  replaceChildren(main, view.root);
  void view.start();
}

type Section = 'search' | 'job' | 'history' | 'logs' | 'dashboard';

const TITLES: Record<Section, string> = {
  search: 'Search',
  job: 'Job',
  history: 'History',
  logs: 'Logs',
  dashboard: 'Dashboard',
};

/** Bumped on every route change, so a slow view that loses the race does not take the focus. */
let generation = 0;
let firstRoute = true;

async function route(): Promise<void> {
  cleanup?.();
  cleanup = null;
  clearAnnouncements();
  const current = ++generation;
  const hash = window.location.hash.replace(/^#/, '') || '/';
  const job = /^\/jobs\/([^/?#]+)/.exec(hash);
  const section: Section = job
    ? 'job'
    : hash.startsWith('/history')
      ? 'history'
      : hash.startsWith('/logs')
        ? 'logs'
        : hash.startsWith('/dashboard')
          ? 'dashboard'
          : 'search';
  const navSection = section === 'job' ? null : section;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a[data-nav]')) {
    if (link.dataset.nav === navSection) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  setTitle(TITLES[section]);
  if (section === 'history') {
    replaceChildren(main, historyView(notify));
  } else if (section === 'logs') {
    const view = logView(notify);
    cleanup = () => view.stop();
    replaceChildren(main, view.root);
  } else if (section === 'dashboard') {
    replaceChildren(main, dashboardView(notify));
  } else if (job) {
    await showJob(decodeURIComponent(job[1]!));
  } else {
    await showSearch();
  }
  if (current !== generation) return;
  // The first view of a page load keeps the browser's own starting point; later ones take the
  // focus to their heading so that keyboard and screen-reader users start reading there.
  if (!firstRoute) {
    const heading = main.querySelector<HTMLElement>('h1');
    heading?.setAttribute('tabindex', '-1');
    heading?.focus();
  }
  firstRoute = false;
}

window.addEventListener('hashchange', () => void route());
void route();
