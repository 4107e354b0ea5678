// ATTRIBUTION.md with hostile fields: Markdown in titles and authors stays literal text, only
// http(s) addresses become links, and missing fields say so instead of vanishing.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { SavedFile } from '../../../src/core/types.ts';
import { attributionMarkdown, markdownText } from '../../../src/output/dataset/attribution.ts';

function file(over: Partial<SavedFile>): SavedFile {
  return {
    path: 'fox/openverse/fox_001.jpg',
    query: 'fox',
    source: 'openverse',
    kind: 'image',
    url: 'https://cdn.example/fox.jpg',
    candidate_id: 'openverse:1',
    bytes: 1,
    sha256: 'a'.repeat(64),
    mime: 'image/jpeg',
    width: 10,
    height: 10,
    title: 'Fox',
    page_url: 'https://example.org/fox',
    thumbnail_url: null,
    author: 'Ann',
    license: 'CC BY 4.0',
    license_url: 'https://creativecommons.org/licenses/by/4.0/',
    phash: null,
    duration_ms: 1,
    saved_at: '2026-12-01T00:00:00Z',
    ...over,
  };
}

async function text(files: SavedFile[]): Promise<string> {
  let out = '';
  for await (const chunk of attributionMarkdown(files, 'fox')) out += chunk;
  return out;
}

test('every file gets its title, author, page link and licence link', async () => {
  const md = await text([file({})]);
  assert.match(md, /^## fox\/openverse\/fox\\_001\\\.jpg$/m);
  assert.match(md, /^- Title: Fox$/m);
  assert.match(md, /^- Author: Ann$/m);
  assert.match(md, /^- Source: openverse, \[.*\]\(<https:\/\/example\.org\/fox>\)$/m);
  assert.match(md, /^- Licence: \[CC BY 4\\\.0\]\(<https:\/\/creativecommons\.org\/licenses\/by\/4\.0\/>\)$/m);
});

test('Markdown, HTML and line breaks in outside text stay literal; other schemes are not links', async () => {
  const md = await text([
    file({
      title: '**bold** [x](javascript:alert(1)) <img src=x onerror=alert(1)>\n# heading',
      author: null,
      license: 'weird',
      license_url: 'javascript:alert(1)',
      page_url: null,
    }),
  ]);
  assert.ok(!/(^|[^\\])<img/.test(md), 'no live HTML tag');
  assert.ok(!/^# heading/m.test(md), 'no forged heading');
  assert.ok(!md.includes('](javascript'), md);
  assert.match(
    md,
    /^- Title: \\\*\\\*bold\\\*\\\* \\\[x\\\]\\\(javascript\\:alert\\\(1\\\)\\\) \\<img src\\=x onerror\\=alert\\\(1\\\)\\> \\# heading$/m,
  );
  assert.match(md, /^- Author: unknown$/m);
  assert.match(md, /^- Licence: weird$/m);
  assert.match(
    md,
    /^- Source: openverse, \[https\\:\/\/cdn\\\.example\/fox\\\.jpg\]\(<https:\/\/cdn\.example\/fox\.jpg>\)$/m,
    'no page: the file URL',
  );
  assert.equal(markdownText('a\u001b[31mb'), 'a\\\\u001b\\[31mb', 'a control character is shown escaped, never sent');
});
