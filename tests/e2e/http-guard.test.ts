import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyCorpus, ROOT, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { startServe } from '../support/serve.js';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;
const TOKEN = 'guard-token-0123456789abcdef';

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dir = tempDir('phototag-guard-');
  fs.writeFileSync(path.join(dir, 'token'), `${TOKEN}\n`);
});
afterAll(async () => {
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const provider = () => ['--provider', 'openai', '--base-url', fake.url, '--model', 'fake/vision', '--rpm', '0'];
const env = (data: string) => ({ HOME: dir, PHOTOTAG_DATA_DIR: data, PHOTOTAG_API_KEY: 'sk-guard' });

/** A data dir with one failed photo in it. */
async function withFailedPhoto(name: string): Promise<string> {
  const data = path.join(dir, name);
  const [file] = copyCorpus(dir, [['jpeg/nikon-d5000.jpg', `${name}.jpg`]]);
  fake.push({ type: 'http', status: 500 });
  await new Promise((resolve) =>
    spawn(process.execPath, [path.join(ROOT, 'bin/phototag.js'), 'tag', ...provider(), '--max-attempts', '1', file!], {
      env: { PATH: process.env.PATH ?? '', ...env(data) },
    }).on('close', resolve),
  );
  return data;
}

/** node:http, because fetch may not set Host. */
function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('POST /api/retry validates its body', () => {
  it('answers 400 to a truncated body or paths as a string, and requeues nothing', async () => {
    const data = await withFailedPhoto('malformed');
    const served = await startServe([...provider(), '--token-file', path.join(dir, 'token')], env(data));
    try {
      const post = (body: string) =>
        request(new URL('/api/retry', served.url).href, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body,
        });
      for (const body of [
        '{"paths": ["/x.jpg"',
        '{"paths": "/x.jpg"}',
        '',
        '[]',
        '{"paths": [1]}',
        '{"kind": 5}',
        '{"everything": true}',
      ]) {
        const answer = await post(body);
        expect(answer.status, body).toBe(400);
        expect(JSON.parse(answer.body).error).toMatch(/body/);
      }
      const stats = JSON.parse((await request(new URL('/stats', served.url).href)).body);
      expect(stats.totals).toMatchObject({ failed: 1, queued: 0 });
      expect(served.logs().filter((l) => l.msg === 'retry requested over http')).toEqual([]);
    } finally {
      served.child.kill('SIGTERM');
      await served.exit;
    }
  });
});

describe('beyond loopback', () => {
  it('every route but /healthz needs the token', async () => {
    const served = await startServe(
      [...provider(), '--host', '0.0.0.0', '--token-file', path.join(dir, 'token')],
      env(path.join(dir, 'lan')),
    );
    try {
      const url = (p: string) => new URL(p, served.url.replace('0.0.0.0', '127.0.0.1')).href;
      expect((await request(url('/healthz'))).status).toBe(200);
      for (const route of ['/stats', '/api/recent', '/api/status', '/metrics', '/readyz']) {
        expect((await request(url(route))).status, route).toBe(401);
        expect((await request(url(route), { headers: { authorization: `Bearer ${TOKEN}x` } })).status, route).toBe(401);
        const ok = await request(url(route), { headers: { authorization: `Bearer ${TOKEN}` } });
        expect(ok.status, route).toBe(200);
      }
      // The page itself carries no data; it asks for the token and sends it with every request.
      const page = await request(url('/'));
      expect(page.status).toBe(200);
      expect(page.body).toContain('data-token-everywhere="true"');
    } finally {
      served.child.kill('SIGTERM');
      await served.exit;
    }
  });
});

describe('on loopback', () => {
  it('answers only requests whose Host is this machine (DNS rebinding)', async () => {
    const served = await startServe([...provider()], env(path.join(dir, 'loop')));
    try {
      const port = new URL(served.url).port;
      const stats = new URL('/stats', served.url).href;
      expect((await request(stats)).status).toBe(200);
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`])
        expect((await request(stats, { headers: { host } })).status, host).toBe(200);
      for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${Number(port) + 1}`, `localhost.evil.example:${port}`]) {
        expect((await request(stats, { headers: { host } })).status, host).toBe(421);
      }
    } finally {
      served.child.kill('SIGTERM');
      await served.exit;
    }
  });
});
