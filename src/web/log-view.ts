// The download log: its last lines, errors only if asked, and "follow" (poll for what was
// appended since the last answer, as `tail -f` would).
import { api } from './api.ts';
import { h, replaceChildren } from './dom.ts';
import type { LogLine } from './types.ts';

const FOLLOW_MS = 1500;
const KEEP_LINES = 2000;

export interface LogView {
  root: HTMLElement;
  stop(): void;
}

export function logView(notify: (message: string, kind?: 'info' | 'error') => void): LogView {
  const lines = h(
    'select',
    { attrs: { id: 'log-lines' } },
    ...[50, 200, 500, 1000].map((n) => h('option', { attrs: { value: n, selected: n === 200 } }, `${n} lines`)),
  );
  const errorsOnly = h('input', { attrs: { id: 'log-errors', type: 'checkbox' } });
  const follow = h('input', { attrs: { id: 'log-follow', type: 'checkbox', checked: true } });
  // Focusable so that the keyboard can scroll it; not live: a screen reader reads it on demand.
  const list = h('ol', { class: 'log-lines', attrs: { tabindex: 0, 'aria-labelledby': 'logs-title' } });
  const status = h('span', { class: 'muted small' });
  let size: number | undefined;
  let timer: number | null = null;
  let stopped = false;

  function lineItem(line: LogLine): HTMLLIElement {
    return h(
      'li',
      { class: `log-line level-${(line.level ?? 'none').toLowerCase()}` },
      h('span', { class: 'log-ts' }, line.ts ?? ''),
      h('span', { class: 'log-level' }, line.level ?? ''),
      h('span', { class: 'log-message' }, line.message),
    );
  }

  async function load(reset: boolean): Promise<void> {
    try {
      const answer = await api.logs({
        lines: Number(lines.value),
        errors: errorsOnly.checked,
        since: reset ? undefined : size,
      });
      const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
      if (reset || answer.reset) replaceChildren(list);
      list.append(...answer.lines.map(lineItem));
      while (list.children.length > KEEP_LINES) list.firstChild?.remove();
      size = answer.size;
      if (list.children.length === 0) list.append(h('li', { class: 'muted' }, 'The log is empty.'));
      else list.querySelector(':scope > li.muted')?.remove();
      if (reset || atBottom) list.scrollTop = list.scrollHeight;
      status.textContent = follow.checked ? 'following' : '';
    } catch (error) {
      status.textContent = '';
      notify(error instanceof Error ? error.message : 'cannot read the log', 'error');
    }
  }

  function schedule(): void {
    if (timer !== null) window.clearTimeout(timer);
    timer = null;
    if (stopped || !follow.checked) return;
    timer = window.setTimeout(() => void load(false).then(schedule), FOLLOW_MS);
  }

  lines.addEventListener('change', () => void load(true));
  errorsOnly.addEventListener('change', () => void load(true));
  follow.addEventListener('change', () => {
    status.textContent = follow.checked ? 'following' : '';
    schedule();
  });
  void load(true).then(schedule);

  const root = h(
    'section',
    { class: 'card', attrs: { 'aria-labelledby': 'logs-title' } },
    h(
      'div',
      { class: 'section-head' },
      h('h1', { attrs: { id: 'logs-title', tabindex: -1 } }, 'Download log'),
      h(
        'div',
        { class: 'toolbar' },
        h('div', { class: 'field inline' }, h('label', { attrs: { for: 'log-lines' } }, 'Show'), lines),
        h('label', { class: 'check', attrs: { for: 'log-errors' } }, errorsOnly, ' Errors only'),
        h('label', { class: 'check', attrs: { for: 'log-follow' } }, follow, ' Follow'),
        status,
      ),
    ),
    list,
  );
  return {
    root,
    stop() {
      stopped = true;
      if (timer !== null) window.clearTimeout(timer);
    },
  };
}
