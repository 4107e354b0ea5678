// The search form: one query or several (one a line), one checkbox per source with its state
// (ready, needs a key, cooling down), files per source, media type, and the data-set filters.
// Field errors from the API appear next to the field.
import {
  DEFAULT_LIMIT,
  MAX_DIMENSION,
  MAX_LIMIT,
  MAX_QUERIES,
  MIN_LIMIT,
  parseQueriesFile,
} from '../core/spec-rules.ts';
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
let last: {
  query: string;
  sources: string[];
  limit: string;
  type: string;
  minWidth: string;
  minHeight: string;
  orientation: string;
  license: string;
  keepNearDuplicates: boolean;
} | null = null;

/** A drop-down of `[value, label]` options, the first selected. */
function select(id: string, options: [string, string][]): HTMLSelectElement {
  return h(
    'select',
    { attrs: { id, name: id } },
    ...options.map(([value, label], i) =>
      h('option', { attrs: { value, ...(i === 0 ? { selected: true } : {}) } }, label),
    ),
  );
}

/** A whole number of pixels, or empty for no minimum. */
function dimensionInput(id: string): HTMLInputElement {
  return h('input', {
    attrs: { id, name: id, type: 'number', min: 1, max: MAX_DIMENSION, inputmode: 'numeric', placeholder: 'any' },
  });
}

export function searchForm(options: SearchFormOptions): HTMLElement {
  const query = h('textarea', {
    attrs: {
      id: 'query',
      name: 'query',
      rows: 2,
      required: true,
      placeholder: 'e.g. northern lights\n(several queries: one a line)',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': 'query-hint query-error',
    },
  });
  const queryHint = h(
    'p',
    { class: 'muted small', attrs: { id: 'query-hint' } },
    `One query a line (up to ${MAX_QUERIES}); every source runs each. Ctrl+Enter starts.`,
  );
  const minWidth = dimensionInput('min-width');
  const minHeight = dimensionInput('min-height');
  const orientation = select('orientation', [
    ['', 'Any'],
    ['landscape', 'Landscape'],
    ['portrait', 'Portrait'],
    ['square', 'Square'],
  ]);
  const license = select('license', [
    ['any', 'Any'],
    ['open', 'Open (Creative Commons, public domain)'],
    ['commercial', 'Allows commercial use'],
  ]);
  const keepNear = h('input', { attrs: { id: 'keep-near-duplicates', type: 'checkbox' } });
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
  const type = select('type', [
    ['image', 'Images'],
    ['video', 'Videos'],
    ['any', 'Images and videos'],
  ]);
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
    h(
      'div',
      { class: 'query-row' },
      h('label', { class: 'sr-only', attrs: { for: 'query' } }, 'Query (several: one a line)'),
      query,
      submit,
    ),
    queryHint,
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
    h(
      'fieldset',
      { class: 'filters-fieldset' },
      h('legend', null, 'Filters'),
      h(
        'div',
        { class: 'options-row' },
        h('div', { class: 'field' }, h('label', { attrs: { for: 'min-width' } }, 'Min. width (px)'), minWidth),
        h('div', { class: 'field' }, h('label', { attrs: { for: 'min-height' } }, 'Min. height (px)'), minHeight),
        h('div', { class: 'field' }, h('label', { attrs: { for: 'orientation' } }, 'Orientation'), orientation),
        h('div', { class: 'field' }, h('label', { attrs: { for: 'license' } }, 'Licence'), license),
      ),
      h(
        'label',
        { class: 'check-row', attrs: { for: 'keep-near-duplicates' } },
        keepNear,
        ' Keep near-duplicates (the same picture from several sources or queries)',
      ),
    ),
    formError,
  );

  if (last) {
    query.value = last.query;
    limit.value = last.limit;
    type.value = last.type;
    minWidth.value = last.minWidth;
    minHeight.value = last.minHeight;
    orientation.value = last.orientation;
    license.value = last.license;
    keepNear.checked = last.keepNearDuplicates;
  }
  query.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    for (const el of [queryError, sourcesError, formError]) el.textContent = '';
    query.removeAttribute('aria-invalid');
    const chosen = boxes.filter((b) => b.box.checked).map((b) => b.source.id);
    const text = query.value.trim();
    const queries = parseQueriesFile(query.value);
    if (queries.length === 0) {
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
    if (queries.length > MAX_QUERIES) {
      queryError.textContent = `At most ${MAX_QUERIES} queries (got ${queries.length}).`;
      query.setAttribute('aria-invalid', 'true');
      query.focus();
      return;
    }
    const filters: Record<string, string | number> = {};
    if (minWidth.value !== '') filters.min_width = Number(minWidth.value);
    if (minHeight.value !== '') filters.min_height = Number(minHeight.value);
    if (orientation.value !== '') filters.orientation = orientation.value;
    if (license.value !== 'any') filters.license = license.value;
    submit.disabled = true;
    last = {
      query: text,
      sources: chosen,
      limit: limit.value,
      type: type.value,
      minWidth: minWidth.value,
      minHeight: minHeight.value,
      orientation: orientation.value,
      license: license.value,
      keepNearDuplicates: keepNear.checked,
    };
    api
      .createJob({
        ...(queries.length > 1 ? { queries } : { query: queries[0]! }),
        sources: chosen,
        limit: Number(limit.value),
        type: type.value,
        ...(Object.keys(filters).length > 0 ? { filters } : {}),
        ...(keepNear.checked ? { keep_near_duplicates: true } : {}),
      })
      .then((answer) => options.onStarted(answer.job_id))
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : 'the job could not be started';
        const field = error instanceof ApiError ? (error.field ?? '') : '';
        if (field.startsWith('quer')) queryError.textContent = message;
        else if (field.startsWith('sources')) sourcesError.textContent = message;
        else formError.textContent = message;
      })
      .finally(() => (submit.disabled = false));
  });
  return form;
}
