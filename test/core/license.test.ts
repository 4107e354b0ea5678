// Licence normalisation on what each source really yields (the adapters' own output for their
// recorded answers), deed URLs, long and short Creative Commons names, and the `--license`
// classification: open = Creative Commons or public domain, commercial = commercial use allowed.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { licenseAllowed, normalizeLicense } from '../../src/core/license.ts';
import { licenseName, licenseUrlOf } from '../../src/sources/openverse.ts';
import { PEXELS_LICENSE, PEXELS_LICENSE_URL } from '../../src/sources/pexels.ts';
import { PIXABAY_LICENSE, PIXABAY_LICENSE_URL } from '../../src/sources/pixabay.ts';
import { UNSPLASH_LICENSE, UNSPLASH_LICENSE_URL } from '../../src/sources/unsplash.ts';

function classify(name: string | null, url: string | null = null): [string | null, boolean, boolean] | null {
  const l = normalizeLicense(name, url);
  return l === null ? null : [l.name, l.open, l.commercial];
}

test("Openverse: every code its API gives, through the adapter's own naming and deed URLs", () => {
  const cases: [string, string, [string, boolean, boolean]][] = [
    ['by', '2.0', ['CC BY 2.0', true, true]],
    ['by-sa', '4.0', ['CC BY-SA 4.0', true, true]],
    ['by-nd', '3.0', ['CC BY-ND 3.0', true, true]],
    ['by-nc', '4.0', ['CC BY-NC 4.0', true, false]],
    ['by-nc-sa', '2.5', ['CC BY-NC-SA 2.5', true, false]],
    ['by-nc-nd', '4.0', ['CC BY-NC-ND 4.0', true, false]],
    ['cc0', '1.0', ['CC0 1.0', true, true]],
    ['pdm', '1.0', ['Public domain', true, true]],
  ];
  for (const [code, version, expected] of cases) {
    const name = licenseName(code, version)!;
    assert.deepEqual(classify(name), expected, name);
    assert.deepEqual(classify(name, licenseUrlOf(code, version) ?? null), expected, `${name} with its deed`);
  }
});

test('Wikimedia Commons: LicenseShortName values and their URLs', () => {
  assert.deepEqual(classify('CC BY-SA 4.0', 'https://creativecommons.org/licenses/by-sa/4.0'), [
    'CC BY-SA 4.0',
    true,
    true,
  ]);
  assert.deepEqual(classify('CC BY-SA 3.0 de'), ['CC BY-SA 3.0', true, true]);
  assert.deepEqual(classify('Public domain'), ['Public domain', true, true]);
  assert.deepEqual(classify('PD-US'), ['Public domain', true, true]);
  assert.deepEqual(classify('CC0'), ['CC0', true, true]);
  assert.deepEqual(classify('GFDL'), ['GNU Free Documentation License', false, true]);
  assert.deepEqual(classify('Attribution-NonCommercial-ShareAlike 4.0 International'), [
    'CC BY-NC-SA 4.0',
    true,
    false,
  ]);
  assert.deepEqual(classify('Creative Commons Attribution 2.0'), ['CC BY 2.0', true, true]);
});

test('Unsplash, Pexels and Pixabay licences allow commercial use but are not open licences', () => {
  assert.deepEqual(classify(UNSPLASH_LICENSE, UNSPLASH_LICENSE_URL), ['Unsplash License', false, true]);
  assert.deepEqual(classify(PEXELS_LICENSE, PEXELS_LICENSE_URL), ['Pexels License', false, true]);
  assert.deepEqual(classify(PIXABAY_LICENSE, PIXABAY_LICENSE_URL), ['Pixabay Content License', false, true]);
  assert.deepEqual(classify(null, 'https://www.pexels.com/photo-license/'), ['Pexels License', false, true]);
  assert.deepEqual(classify('Pixabay Content License', 'https://pixabay.com/service/license-summary/'), [
    'Pixabay Content License',
    false,
    true,
  ]);
  assert.match(normalizeLicense('Unsplash License')!.allows, /commercial/);
});

test('no or unknown licence passes only --license any', () => {
  for (const unknown of [null, '', 'All rights reserved', 'see page', 'by the river']) {
    const l = normalizeLicense(unknown, null);
    assert.equal(l, null, String(unknown));
    assert.equal(licenseAllowed('any', l), true);
    assert.equal(licenseAllowed('open', l), false);
    assert.equal(licenseAllowed('commercial', l), false);
  }
  assert.equal(normalizeLicense(null, 'javascript:alert(1)'), null);
  assert.equal(
    normalizeLicense(null, 'https://example.org/licenses/by/4.0/'),
    null,
    'only creativecommons.org deeds count',
  );
  const nc = normalizeLicense('CC BY-NC 4.0');
  assert.equal(licenseAllowed('open', nc), true);
  assert.equal(licenseAllowed('commercial', nc), false);
});
