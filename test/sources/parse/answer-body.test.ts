import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ParseError } from '../../../src/core/errors.ts';
import { readHtmlAnswer, readJsonAnswer, SYNC_PARSE_MAX_CHARS } from '../../../src/sources/parse/answer-body.ts';
import { parseJsonBody } from '../../../src/sources/parse/json-shape.ts';
import { parseBingPage } from '../../../src/sources/bing-images.ts';
import { source as openverse } from '../../../src/sources/openverse.ts';
import { collect, fixtureJson, searchError, sendJson, withFakeServer } from '../source-harness.ts';

const never = new AbortController().signal;
/** Megabytes over loopback on a busy machine: the request's own timeout is not what these tests are about. */
const SLOW_LOOPBACK = { env: { REQUEST_TIMEOUT: '60' } };

/** A JSON text of about `chars` characters with every kind of value, escapes and non-BMP text in it. */
function bigJson(chars: number): string {
  const item = { id: 'x', n: -12.5e3, ok: true, no: null, t: 'héllo "q" \\ \u2028 \ud83d\ude00', a: [1, [2, {}], []] };
  const unit = JSON.stringify(item).length + 1;
  return JSON.stringify({
    results: Array.from({ length: Math.ceil(chars / unit) }, (_, i) => ({ ...item, id: `x${i}` })),
    total: 1,
  });
}

/** Counts event-loop turns other work got while `work` ran. */
async function turnsDuring<T>(work: Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let running = true;
  const spin = (async () => {
    while (running) {
      await nextTurn();
      turns++;
    }
  })();
  const value = await work;
  running = false;
  await spin;
  return { value, turns };
}

test('a small JSON answer is left as text for the synchronous parse', async () => {
  assert.equal(await readJsonAnswer('openverse', '{"a":1}', never), '{"a":1}');
});

test('a large JSON answer is parsed in slices to the same value JSON.parse gives, letting other work run', async () => {
  const text = bigJson(3 * SYNC_PARSE_MAX_CHARS);
  const { value, turns } = await turnsDuring(readJsonAnswer('openverse', text, never));
  assert.deepEqual(parseJsonBody('openverse', value), JSON.parse(text));
  assert.ok(turns >= 40, `other work got ${turns} turns while 768 KiB were parsed (one per 16 KiB slice expected)`);
});

test('a "__proto__" key stays a plain property, as with JSON.parse', async () => {
  const text = `{"__proto__":{"polluted":true},"pad":"${'x'.repeat(SYNC_PARSE_MAX_CHARS)}"}`;
  const value = parseJsonBody('openverse', await readJsonAnswer('openverse', text, never)) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(value, '__proto__')?.value, { polluted: true });
});

test('a large answer that is not JSON, is cut short or has text after the value is a ParseError', async () => {
  const big = bigJson(2 * SYNC_PARSE_MAX_CHARS);
  for (const text of [
    `<html>${'x'.repeat(SYNC_PARSE_MAX_CHARS)}</html>`,
    big.slice(0, -5),
    `${big} trailing`,
    `${big}${' '.repeat(40000)}{}`,
  ]) {
    const error = await readJsonAnswer('openverse', text, never).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ParseError, `${text.slice(-20)}: ${String(error)}`);
    assert.match(error.message, /^openverse: layout changed: answer is not JSON \(got (an HTML page|text)\)$/);
  }
  // Whitespace after the value is valid JSON, as JSON.parse has it.
  assert.ok(await readJsonAnswer('openverse', `${big}${' \n'.repeat(20000)}`, never));
});

test('the deadline stops a large parse between slices with its own reason', async () => {
  const deadline = new AbortController();
  const reason = new Error('Timeout after 1s');
  const parse = readJsonAnswer('openverse', bigJson(4 * SYNC_PARSE_MAX_CHARS), deadline.signal);
  await nextTurn();
  deadline.abort(reason);
  await assert.rejects(parse, (e) => e === reason);
});

test('a large HTML answer parses to the same document as the synchronous parse', async () => {
  const card = (i: number) =>
    `<li><div class="iuscp"><a class="iusc" m='{"murl":"https://img.example/${i}.jpg","t":"Card ${i}","mid":"m${i}"}' href="/images/search?expw=640&amp;exph=480"><img src="https://t.example/${i}.jpg"></a></div></li>`;
  const html = `<html><body><ul class="dgControl_list">${Array.from({ length: 3000 }, (_, i) => card(i)).join('')}</ul></body></html>`;
  assert.ok(html.length > SYNC_PARSE_MAX_CHARS);
  const { value, turns } = await turnsDuring(readHtmlAnswer('bing_images', html, never));
  assert.notEqual(typeof value, 'string');
  assert.deepEqual(parseBingPage(value), parseBingPage(html));
  assert.equal(parseBingPage(value).candidates.length, 3000);
  assert.ok(turns >= 20, `other work got ${turns} turns`);
});

test('a source answering 12 MB of shallow JSON is parsed without holding the event loop, and its results are read', async () => {
  const recorded = fixtureJson('openverse/images-search.real-trimmed.json') as { results: unknown[] };
  const pad = 'x'.repeat(12 * 1024 * 1024);
  await withFakeServer(
    openverse,
    (_req, res) => sendJson(res, { ...recorded, padding: pad, page_count: 1 }),
    SLOW_LOOPBACK,
    async ({ ctx }) => {
      const { value: found, turns } = await turnsDuring(collect(openverse, { text: 'duhok' }, ctx));
      assert.equal(found.length, recorded.results.length);
      assert.ok(turns >= 100, `other work got ${turns} turns while the answer was parsed`);
    },
  );
});

test('a source whose huge answer cannot be parsed within its deadline ends with the deadline, not after the parse', async () => {
  const big = bigJson(4 * 1024 * 1024);
  await withFakeServer(
    openverse,
    (_req, res) => res.end(big),
    SLOW_LOOPBACK,
    async ({ ctx }) => {
      const deadline = new AbortController();
      const reason = new Error('Timeout after 1s');
      const timer = setTimeout(() => deadline.abort(reason), 100);
      try {
        const error = await searchError(openverse, { text: 'duhok' }, { ...ctx, signal: deadline.signal });
        assert.equal(error, reason);
      } finally {
        clearTimeout(timer);
      }
    },
  );
});
