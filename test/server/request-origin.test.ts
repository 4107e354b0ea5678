// Host names, cross-site writes and the rate limit's buckets, through the real `harvester serve`
// process and raw sockets (Host, Origin and Sec-Fetch-Site are sent exactly as written).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { crossSiteChecker, hostMatcher } from '../../src/server/request-origin.ts';
import { rawRequest, startServeProcess, type ServeProcess } from './serve-process.ts';

const servers: ServeProcess[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

const job = JSON.stringify({ query: 'cats', sources: ['google_images'], limit: 1 });

describe('the Host allow-list', () => {
  test('loopback names, the bound address and ALLOWED_HOSTS are answered; any other name gets 421 with a message', async () => {
    const s = await startServeProcess({ ALLOWED_HOSTS: 'harvester.example.org, box.lan:8443' });
    servers.push(s);
    for (const host of [
      `127.0.0.1:${s.port}`,
      `localhost:${s.port}`,
      'localhost',
      `app.localhost:${s.port}`,
      `[::1]:${s.port}`,
      '127.0.0.2',
      'harvester.example.org',
      'HARVESTER.example.org:9',
      'box.lan:8443',
    ]) {
      const answer = await rawRequest(s.port, `GET /api/jobs HTTP/1.1\r\nHost: ${host}`);
      assert.equal(answer.status, 200, `Host: ${host} → ${answer.status} ${answer.body}`);
    }
    for (const host of [
      'evil.example',
      `evil.example:${s.port}`,
      'attacker.127.0.0.1.nip.io',
      '127.0.0.1.evil.example',
      'box.lan:8444',
      'box.lan',
      'localhost.evil.example',
      '[::2]',
    ]) {
      for (const path of ['/api/jobs', '/api/health', '/']) {
        const answer = await rawRequest(s.port, `GET ${path} HTTP/1.1\r\nHost: ${host}`);
        assert.equal(answer.status, 421, `Host: ${host} ${path} → ${answer.status}`);
        assert.match(answer.body, /does not answer to Host.*ALLOWED_HOSTS/);
      }
    }
    // A rebinding page cannot write either.
    const post = await rawRequest(
      s.port,
      `POST /api/jobs HTTP/1.1\r\nHost: evil.example:${s.port}\r\nContent-Type: application/json`,
      job,
    );
    assert.equal(post.status, 421);
  });

  test('a wildcard bind answers to the addresses of this machine, not to names', () => {
    const matches = hostMatcher({ host: '0.0.0.0', allowedHosts: [] });
    assert.equal(matches('127.0.0.1:8080'), true);
    assert.equal(matches('evil.example'), false);
    const bound = hostMatcher({ host: '10.1.2.3', allowedHosts: [] });
    assert.equal(bound('10.1.2.3:8080'), true);
    assert.equal(bound('10.1.2.4:8080'), false);
  });
});

describe('cross-site writes', () => {
  test('a state-changing request with a foreign Origin or Sec-Fetch-Site: cross-site gets 403, with or without a body', async () => {
    const s = await startServeProcess();
    servers.push(s);
    const created = await rawRequest(
      s.port,
      `POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nContent-Type: application/json`,
      job,
    );
    assert.equal(created.status, 202, created.body);
    const id = (JSON.parse(created.body) as { job_id: string }).job_id;
    const count = async (): Promise<number> =>
      (
        JSON.parse((await rawRequest(s.port, `GET /api/jobs HTTP/1.1\r\nHost: 127.0.0.1:${s.port}`)).body) as {
          jobs: unknown[];
        }
      ).jobs.length;
    const before = await count();
    const foreign = [
      'Origin: http://evil.example',
      `Origin: http://evil.example:${s.port}`,
      'Origin: null',
      `Origin: http://127.0.0.1:${s.port + 1}`,
      `Origin: https://127.0.0.1:${s.port}.evil.example`,
      `Origin: http://localhost:${s.port + 1}`,
      'Origin: file://',
      'Sec-Fetch-Site: cross-site',
      `Origin: http://127.0.0.1:${s.port}\r\nSec-Fetch-Site: cross-site`,
    ];
    for (const header of foreign) {
      for (const [method, path, body] of [
        ['POST', '/api/jobs', job],
        ['POST', `/api/jobs/${id}/cancel`, ''],
        ['POST', `/api/jobs/${id}/retry`, ''],
        ['DELETE', `/api/jobs/${id}`, ''],
        ['PUT', '/api/jobs', ''],
      ] as const) {
        const answer = await rawRequest(
          s.port,
          `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n${header}${body ? '\r\nContent-Type: text/plain' : ''}`,
          body,
        );
        assert.equal(answer.status, 403, `${method} ${path} with ${header} → ${answer.status} ${answer.body}`);
        assert.match(answer.body, /cross-site request refused/);
      }
    }
    assert.equal(await count(), before, 'nothing was created');
    // Reads carry no risk of their own (the browser keeps the answer from a foreign page).
    assert.equal(
      (await rawRequest(s.port, `GET /api/jobs HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nOrigin: http://evil.example`))
        .status,
      200,
    );
    // The server's own pages, under either loopback name, and clients without either header pass.
    for (const [host, origin] of [
      [`127.0.0.1:${s.port}`, `http://127.0.0.1:${s.port}`],
      [`localhost:${s.port}`, `http://localhost:${s.port}`],
    ]) {
      const own = await rawRequest(
        s.port,
        `POST /api/jobs HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${origin}\r\nSec-Fetch-Site: same-origin\r\nContent-Type: application/json`,
        job,
      );
      assert.equal(own.status, 202, `${origin}: ${own.body}`);
    }
    const plain = await rawRequest(s.port, `POST /api/jobs/${id}/cancel HTTP/1.1\r\nHost: 127.0.0.1:${s.port}`);
    assert.notEqual(plain.status, 403, plain.body);
    assert.equal(await count(), before + 2);
  });

  test("an ALLOWED_HOSTS origin passes, in its scheme's default port or the one it names", () => {
    const check = crossSiteChecker({ host: '127.0.0.1', allowedHosts: ['harvester.example.org', 'box.lan:8443'] });
    const post = (origin: string, host = 'harvester.example.org'): string | null =>
      check({ method: 'POST', headers: { origin, host } });
    assert.equal(post('https://harvester.example.org'), null);
    assert.equal(post('http://harvester.example.org'), null);
    assert.equal(post('https://box.lan:8443'), null);
    assert.match(post('https://box.lan:8444') ?? '', /refused/);
    assert.match(post('https://evil.example') ?? '', /refused/);
    assert.equal(check({ method: 'GET', headers: { origin: 'https://evil.example', host: 'x' } }), null);
  });
});

describe('the rate limit with API_TOKEN', () => {
  test('refused requests are counted apart: a flood without the token does not lock out the token holder; /api/health is not counted', async () => {
    const token = 'rate-limit-token-1234';
    const s = await startServeProcess({ API_TOKEN: token, RATE_LIMIT_PER_MINUTE: '5' });
    servers.push(s);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push(
        (
          await rawRequest(
            s.port,
            `GET /%61pi/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer wrong-${i}-xxxxxxx`,
          )
        ).status,
      );
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.ok(
      statuses.slice(5).every((code) => code === 429),
      statuses.join(' '),
    );
    for (let i = 0; i < 10; i++)
      assert.equal((await rawRequest(s.port, 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1')).status, 200);
    const holder: number[] = [];
    for (let i = 0; i < 6; i++)
      holder.push(
        (
          await rawRequest(
            s.port,
            `GET http://127.0.0.1/api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}`,
          )
        ).status,
      );
    assert.deepEqual(
      holder,
      [200, 200, 200, 200, 200, 429],
      'the token holder has a budget of its own, and absolute-form targets count in it',
    );
  });
});
