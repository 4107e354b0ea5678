// A page from another origin, in real Chromium with its own private-network protection switched
// off (as older browsers have none), cannot start, cancel or read a job on a loopback
// `harvester serve` without a token, and a rebound name (evil.test → 127.0.0.1 on the server's
// port) gets nothing but 421.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { startServeProcess, type ServeProcess } from '../server/serve-process.ts';
import { openBrowser, type Browser } from './browser.ts';

const PNA_OFF =
  '--disable-features=PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests,LocalNetworkAccessChecks';

let harvester: ServeProcess;
let attacker: Server;
let attackerPort = 0;
let browser: Browser;

before(async () => {
  harvester = await startServeProcess({ BING_IMAGES_TIMEOUT: '120' });
  attacker = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>attacker</title><form id="f" method="post"></form>');
  });
  attacker.listen(0, '127.0.0.1');
  await once(attacker, 'listening');
  attackerPort = (attacker.address() as { port: number }).port;
  browser = await openBrowser([PNA_OFF, '--host-resolver-rules=MAP evil.test 127.0.0.1']);
});
after(async () => {
  await browser?.close();
  attacker?.close();
  await harvester?.stop();
});

async function api(path: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const answer = await fetch(`${harvester.url}${path}`, init);
  return { status: answer.status, body: await answer.json() };
}

describe('a page from another origin', () => {
  test('cannot start, cancel or read a job', { timeout: 90_000 }, async () => {
    const created = await api('/api/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'victim', sources: ['bing_images'], limit: 1 }),
    });
    assert.equal(created.status, 202);
    const id = (created.body as { job_id: string }).job_id;
    const target = `http://127.0.0.1:${harvester.port}`;
    const { page } = browser;
    await page.goto(`http://evil.test:${attackerPort}/`);

    // As a string: the test runner's transpiler would name inner functions with a helper the page lacks.
    const script = `(async () => {
      const target = ${JSON.stringify(target)}, id = ${JSON.stringify(id)};
      const tried = {};
      const attempt = async (name, run) => {
        try {
          const r = await run();
          tried[name] = r.type === 'opaque' ? 'opaque' : r.status + ':' + (await r.text());
        } catch (error) {
          tried[name] = 'blocked: ' + error.name;
        }
      };
      await attempt('cancel', () => fetch(target + '/api/jobs/' + id + '/cancel', { method: 'POST', mode: 'no-cors' }));
      await attempt('start', () => fetch(target + '/api/jobs', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"query":"pwned","sources":["google_images"]}' }));
      await attempt('read list', () => fetch(target + '/api/jobs'));
      await attempt('read job', () => fetch(target + '/api/jobs/' + id));
      await attempt('read with credentials', () => fetch(target + '/api/jobs', { credentials: 'include' }));
      return tried;
    })()`;
    const outcome = (await page.evaluate(script)) as Record<string, string>;
    assert.match(outcome['read list']!, /^blocked/, JSON.stringify(outcome));
    assert.match(outcome['read job']!, /^blocked/);
    assert.match(outcome['read with credentials']!, /^blocked/);

    // A plain form POST (a navigation, the oldest cross-site write) is refused by the server itself.
    const navigation = page.waitForResponse((r) => r.url().includes('/cancel'));
    await page.evaluate(
      ({ target, id }) => {
        const form = document.getElementById('f') as HTMLFormElement;
        form.action = `${target}/api/jobs/${id}/cancel`;
        form.submit();
      },
      { target, id },
    );
    const formAnswer = await navigation;
    assert.equal(formAnswer.status(), 403);
    assert.match(await formAnswer.text(), /cross-site request refused/);

    const job = await api(`/api/jobs/${id}`);
    assert.equal((job.body as { status: string }).status, 'running', 'the job was not cancelled');
    const list = (await api('/api/jobs')).body as { jobs: { query: string }[] };
    assert.deepEqual(
      list.jobs.map((j) => j.query),
      ['victim'],
      'no job was started',
    );

    // DNS rebinding: the attacker's name now points at the server's own port; the server refuses the name.
    const rebound = await page.goto(`http://evil.test:${harvester.port}/api/jobs`);
    assert.equal(rebound?.status(), 421);
    assert.doesNotMatch(await rebound!.text(), /victim/);

    // The server's own page under its loopback names still works (no token needed on loopback).
    for (const origin of [`http://127.0.0.1:${harvester.port}`, `http://localhost:${harvester.port}`]) {
      await page.goto(`${origin}/`);
      const own = await page.evaluate(
        async (id) => (await fetch(`/api/jobs/${id}/cancel`, { method: 'POST' })).status,
        id,
      );
      assert.ok(own === 200 || own === 202 || own === 409, `${origin}: own-origin cancel answered ${own}`);
    }
    assert.equal(((await api(`/api/jobs/${id}`)).body as { status: string }).status, 'cancelled');
  });
});
