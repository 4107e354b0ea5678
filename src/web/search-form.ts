// The search form: query, one checkbox per source with its state (ready, needs a key, cooling
// down), files per source and media type. Field errors from the API appear next to the field.
import { DEFAULT_LIMIT, MAX_LIMIT, MAX_QUERY_LENGTH, MIN_LIMIT } from '../core/spec-rules.ts';
import { ApiError, api } from './api.ts';
import { h, pill } from './dom.ts';
import { formatPercent, localizeTimes, relativeAndLocal, relativeTime } from './format.ts';
import type { SourceInfo } from './types.ts';

export interface SearchFormOptions {
  sources: SourceInfo[];
  onStarted(jobId: string): void;
}

const STATE_LABELS: Record<SourceInfo['state'], string> = {
  ready: 'ready',
  needs_key: 'needs a key',
  cooling_down: 'cooling down',
};

/** What the form held when last submitted, so it comes back the same when the page re-renders. */
let last: { query: string; sources: string[]; limit: string; type: string } | null = null;

export function searchForm(options: SearchFormOptions): HTMLElement {
  const query = h('input', {
    attrs: {
      id: 'query',
      name: 'query',
      type: 'search',
      required: true,
      maxlength: MAX_QUERY_LENGTH,
      placeholder: 'e.g. northern lights',
      autocomplete: 'off',
      'aria-describedby': 'query-error',
    },
  });
  const queryError = h('p', { class: 'field-error', attrs: { id: 'query-error', role: 'alert' } });
  const limit = h('input', {
    attrs: {
      id: 'limit',
      name: 'limit',
      type: 'number',
      min: MIN_LIMIT,
      max: MAX_LIMIT,
      value: DEFAULT_LIMIT,
      required: true,
      inputmode: 'numeric',
    },
  });
  const type = h(
    'select',
    { attrs: { id: 'type', name: 'type' } },
    h('option', { attrs: { value: 'image', selected: true } }, 'Images'),
    h('option', { attrs: { value: 'video' } }, 'Videos'),
    h('option', { attrs: { value: 'any' } }, 'Images and videos'),
  );
  const sourcesError = h('p', { class: 'field-error', attrs: { id: 'sources-error', role: 'alert' } });
  const formError = h('p', { class: 'field-error', attrs: { role: 'alert' } });
  const submit = h('button', { class: 'button primary', attrs: { type: 'submit' } }, 'Start');

  const boxes = options.sources.map((source) => {
    const box = h('input', {
      attrs: {
        type: 'checkbox',
        name: 'sources',
        value: source.id,
        id: `source-${source.id}`,
        checked: last ? last.sources.includes(source.id) : source.state === 'ready',
        'aria-describedby': `source-${source.id}-state`,
      },
    });
    const details: string[] = [source.kinds.join(' + ')];
    if (source.health.runs > 0)
      details.push(`${formatPercent(source.health.success_rate)} ok over ${source.health.runs} runs`);
    if (source.state === 'needs_key' && source.reason) details.push(source.reason);
    if (source.state === 'cooling_down' && source.health.cooling_until)
      details.push(`tried again ${relativeAndLocal(source.health.cooling_until)}`);
    if (source.state === 'cooling_down' && source.health.last_error)
      details.push(`last error: ${localizeTimes(source.health.last_error)}`);
    const check = source.health.last_check;
    // The check's detail is shown, not left to a hover tooltip.
    if (check)
      details.push(
        `checked ${relativeTime(check.checked_at)}: ${check.status.replace(/_/g, ' ')}${check.status !== 'ok' && check.detail ? ` (${check.detail})` : ''}`,
      );
    const label = h(
      'label',
      { class: `source-option state-${source.state}`, attrs: { for: `source-${source.id}` } },
      box,
      h(
        'span',
        { class: 'source-option-body' },
        h('span', { class: 'source-option-name' }, source.name),
        h('span', { class: 'source-option-detail' }, details.join(' · ')),
      ),
      h('span', { attrs: { id: `source-${source.id}-state` } }, pill(source.state, STATE_LABELS[source.state])),
    );
    return { source, box, label };
  });

  const selectAll = h('button', { class: 'link-button', attrs: { type: 'button' } }, 'all ready');
  const selectNone = h('button', { class: 'link-button', attrs: { type: 'button' } }, 'none');
  selectAll.addEventListener('click', () => boxes.forEach((b) => (b.box.checked = b.source.state === 'ready')));
  selectNone.addEventListener('click', () => boxes.forEach((b) => (b.box.checked = false)));

  const form = h(
    'form',
    { class: 'card search-form', attrs: { 'aria-labelledby': 'search-title', novalidate: true } },
    h('h1', { attrs: { id: 'search-title', tabindex: -1 } }, 'New search'),
    h('div', { class: 'query-row' }, h('label', { class: 'sr-only', attrs: { for: 'query' } }, 'Query'), query, submit),
    queryError,
    h(
      'fieldset',
      { class: 'sources-fieldset' },
      h('legend', null, 'Sources'),
      h('p', { class: 'muted small select-row' }, 'Select: ', selectAll, ' · ', selectNone),
      h('div', { class: 'source-options' }, ...boxes.map((b) => b.label)),
      sourcesError,
    ),
    h(
      'div',
      { class: 'options-row' },
      h('div', { class: 'field' }, h('label', { attrs: { for: 'limit' } }, 'Files per source'), limit),
      h('div', { class: 'field' }, h('label', { attrs: { for: 'type' } }, 'Media type'), type),
    ),
    formError,
  );

  if (last) {
    query.value = last.query;
    limit.value = last.limit;
    type.value = last.type;
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    for (const el of [queryError, sourcesError, formError]) el.textContent = '';
    query.removeAttribute('aria-invalid');
    const chosen = boxes.filter((b) => b.box.checked).map((b) => b.source.id);
    const text = query.value.trim();
    if (text === '') {
      queryError.textContent = 'Enter what to search for.';
      query.setAttribute('aria-invalid', 'true');
      query.focus();
      return;
    }
    if (chosen.length === 0) {
      sourcesError.textContent = 'Pick at least one source.';
      boxes[0]?.box.focus();
      return;
    }
    submit.disabled = true;
    last = { query: text, sources: chosen, limit: limit.value, type: type.value };
    api
      .createJob({ query: text, sources: chosen, limit: Number(limit.value), type: type.value })
      .then((answer) => options.onStarted(answer.job_id))
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : 'the job could not be started';
        const field = error instanceof ApiError ? (error.field ?? '') : '';
        if (field.startsWith('query')) queryError.textContent = message;
        else if (field.startsWith('sources')) sourcesError.textContent = message;
        else formError.textContent = message;
      })
      .finally(() => (submit.disabled = false));
  });
  return form;
}
