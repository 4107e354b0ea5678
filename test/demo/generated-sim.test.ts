import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SourceId } from '../../src/core/types.ts';
import { startSimulation } from '../../src/demo/sim-server.ts';
import { SOURCES } from '../../src/sources/index.ts';
import { collect, makeContext } from '../sources/source-harness.ts';

const GENERATING: readonly SourceId[] = ['openverse', 'pexels', 'pixabay', 'wikimedia_commons', 'nasa_images'];

test('generated answers: each source finds N distinct pictures per query, paged as the source pages', async () => {
  const sim = await startSimulation({ sources: GENERATING, generated: 25 });
  // The files of all sources: two sources' recordings may name the same file, their copies do not.
  const files = new Set<string>();
  try {
    for (const id of GENERATING) {
      const source = SOURCES.find((s) => s.id === id)!;
      const seen = new Set<string>();
      for (const text of ['forest', 'ocean']) {
        const { ctx, pages, close } = makeContext(source, sim.env);
        try {
          // A small limit asks for small pages, so the 25 pictures take several.
          const found = await collect(source, { text, limit: 8 }, ctx);
          assert.equal(found.length, 25, `${id} "${text}": ${found.length} candidates`);
          assert.ok(pages() >= 2, `${id} "${text}": ${pages()} pages`);
          assert.ok(found.every((c) => c.kind === 'image' && c.source === id));
          for (const c of found) {
            const file = new URL(c.url).pathname;
            assert.ok(!files.has(file), `${id}: ${file} twice`);
            files.add(file);
            for (const key of [c.id, c.url]) {
              assert.ok(!seen.has(key), `${id}: ${key} twice`);
              seen.add(key);
            }
          }
        } finally {
          await close();
        }
      }
      assert.equal(seen.size, 2 * 2 * 25);
    }
    // Two generated pictures are two different files.
    const source = SOURCES.find((s) => s.id === 'pexels')!;
    const { ctx, close } = makeContext(source, sim.env);
    try {
      const [a, b] = await collect(source, { text: 'lake', limit: 2 }, ctx, 2);
      const bytes = async (url: string) => Buffer.from(await (await fetch(url)).arrayBuffer());
      assert.notDeepEqual(await bytes(a!.url), await bytes(b!.url));
    } finally {
      await close();
    }
  } finally {
    await sim.close();
  }
});

test('generated answers: refused for a source whose simulation does not generate', async () => {
  await assert.rejects(startSimulation({ sources: ['openverse', 'bing_images'], generated: 10 }), /bing_images/);
  await assert.rejects(startSimulation({ sources: ['openverse'], generated: 0 }), /from 1 to/);
});
