import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../src/daemon/api/index.js';
import { closeTestExifTool, copyCorpus, readTags, ROOT, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { responseProblems } from '../support/openapi.js';
import { startServe, type Served } from '../support/serve.js';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;
let served: Served;
let data: string;
let watched: string;
let doc: Parameters<typeof responseProblems>[0];
const TOKEN = 'api-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
/** Every answer the tests got, checked against the OpenAPI document at the end. */
const answers: { method: string; pathname: string; status: number; body: unknown }[] = [];

const provider = () => ['--provider', 'openai', '--base-url', fake.url, '--model', 'fake/vision', '--rpm', '0'];
const env = (dataDir: string) => ({ HOME: dir, PHOTOTAG_DATA_DIR: dataDir, PHOTOTAG_API_KEY: 'sk-api-test' });

function config(root: string, extra: Record<string, unknown> = {}): string {
  const file = path.join(root, 'phototag.config.json');
  fs.writeFileSync(file, JSON.stringify({ serve: { uploadMaxMb: 1, scanOnStart: false, ...extra } }));
  return file;
}

/** node:http (fetch may not set Host), any method, a string or Buffer body; JSON answers parsed. */
function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; json: () => any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A request to the main server, recorded for the OpenAPI check. */
async function call(method: string, route: string, options: { headers?: Record<string, string>; body?: string | Buffer } = {}) {
  const url = new URL(route, served.url);
  const answer = await request(url.href, { method, ...options });
  const type = String(answer.headers['content-type'] ?? '');
  answers.push({
    method,
    pathname: url.pathname,
    status: answer.status,
    body: type.startsWith('application/json') ? answer.json() : undefined,
  });
  return answer;
}

/** A multipart/form-data body, built by hand so each test says exactly what is sent. */
function multipart(parts: ({ field: string; value: string } | { field: string; filename: string; content: Buffer })[]) {
  const boundary = `----phototag${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n`));
    if ('filename' in part) {
      chunks.push(
        Buffer.from(
          `Content-Disposition: form-data; name="${part.field}"; filename="${part.filename}"\r\nContent-Type: image/jpeg\r\n\r\n`,
        ),
      );
      chunks.push(part.content, Buffer.from('\r\n'));
    } else chunks.push(Buffer.from(`Content-Disposition: form-data; name="${part.field}"\r\n\r\n${part.value}\r\n`));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: Buffer.concat(chunks) };
}

/** A distinct JPEG from the corpus (its own trailing bytes, so its own hash). */
function jpeg(name: string, tag: string): Buffer {
  return Buffer.concat([fs.readFileSync(path.join(ROOT, 'tests/fixtures/corpus/jpeg', name)), Buffer.from(`upload ${tag}`)]);
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 150_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The uploads folder's files (a write in progress has a hidden temp file beside its photo: not an upload). */
const uploads = () =>
  fs.existsSync(path.join(data, 'uploads'))
    ? fs
        .readdirSync(path.join(data, 'uploads'))
        .filter((name) => !name.startsWith('.'))
        .sort()
    : [];

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dir = tempDir('phototag-api-');
  fs.writeFileSync(path.join(dir, 'token'), `${TOKEN}\n`);
  watched = path.join(dir, 'watched');
  fs.mkdirSync(path.join(watched, 'sub', 'deeper'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'outside'));
  copyCorpus(path.join(watched, 'sub'), [['jpeg/htc-desire-gps.jpg', 'in-sub.jpg']]);
  copyCorpus(path.join(watched, 'sub', 'deeper'), [['jpeg/fujifilm-finepix2650.jpg', 'deep.jpg']]);
  copyCorpus(watched, [['jpeg/olympus-pen-e-p3.jpg', 'top.jpg']]);
  copyCorpus(path.join(dir, 'outside'), [['jpeg/nikon-d5000.jpg', 'secret.jpg']]);
  fs.symlinkSync(path.join(dir, 'outside'), path.join(watched, 'link-out'));
  data = path.join(dir, 'data');
  served = await startServe(
    [...provider(), '--token-file', path.join(dir, 'token'), '--config', config(dir, { watch: [watched] })],
    env(data),
  );
  doc = (await call('GET', '/api/openapi.json')).json();
});

afterAll(async () => {
  served.child.kill('SIGTERM');
  await served.exit;
  await fake.close();
  await closeTestExifTool();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('POST /api/photos', () => {
  it('takes photos with languages, hint and profile, tags them, and gives the tagged file back', async () => {
    const form = multipart([
      { field: 'photo', filename: 'beach day.jpg', content: jpeg('nikon-d5000.jpg', 'a') },
      { field: 'photo', filename: '../../escape.jpg', content: jpeg('htc-desire-gps.jpg', 'b') },
      { field: 'languages', value: 'en,ru' },
      { field: 'hint', value: 'Taken at Lake Ohrid' },
      { field: 'profile', value: 'adobe-stock' },
    ]);
    const answer = await call('POST', '/api/photos', { headers: { ...auth, ...form.headers }, body: form.body });
    expect(answer.status).toBe(202);
    const accepted = answer.json();
    expect(accepted.photos.map((p: { name: string }) => p.name)).toEqual(['beach day.jpg', 'escape.jpg']);
    expect(accepted.rejected).toEqual([]);
    // Stored under the data dir, whatever the name said.
    expect(uploads()).toHaveLength(2);
    expect(uploads().every((name) => /^\d+-(beach day|escape)\.jpg$/.test(name))).toBe(true);

    for (const { id, url } of accepted.photos as { id: number; url: string }[]) {
      const photo = await until(async () => {
        const body = (await call('GET', url)).json();
        return body.status === 'done' || body.status === 'failed' ? body : undefined;
      });
      expect(photo).toMatchObject({
        id,
        status: 'done',
        source: 'api',
        hint: 'Taken at Lake Ohrid',
        profile: 'adobe-stock',
        languages: ['en', 'ru'],
      });
      expect(Object.keys(photo.result)).toEqual(['en', 'ru']);
      expect(photo.fieldsWritten).toContain('XMP-dc:Title');

      const file = await call('GET', `/api/photos/${id}/file`);
      expect(file.status).toBe(200);
      expect(file.headers['content-type']).toBe('image/jpeg');
      expect(file.headers['content-disposition']).toBe(
        `attachment; filename="${photo.name}"; filename*=UTF-8''${encodeURIComponent(photo.name)}`,
      );
      const back = path.join(dir, `back-${id}.jpg`);
      fs.writeFileSync(back, file.body);
      const tags = await readTags(back);
      expect(tags['XMP-dc:Title']).toBe(photo.title);
      expect(String(tags['IPTC:Keywords'] ?? tags['XMP-dc:Subject'])).toContain(photo.keywords[0]);
    }
    const asked = fake.state.calls.slice(-2);
    for (const call of asked) {
      expect(call.prompt).toContain('Taken at Lake Ohrid');
      expect(call.languages).toEqual(['en', 'ru']);
    }
  }, 180_000); // two photos through the whole pipeline: minutes on a loaded 2-core machine

  it('refuses a request without the token, bad fields, no photo, other content, and keeps nothing of it', async () => {
    const before = uploads();
    const photo = { field: 'photo', filename: 'p.jpg', content: jpeg('nikon-d5000.jpg', 'refused') };
    const post = (form: ReturnType<typeof multipart>, headers: Record<string, string> = auth) =>
      call('POST', '/api/photos', { headers: { ...headers, ...form.headers }, body: form.body });
    expect((await post(multipart([photo]), {})).status).toBe(401);
    expect((await post(multipart([photo]), { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    for (const [field, value] of [
      ['profile', 'getty'],
      ['languages', 'English!'],
      ['hint', ' '],
      ['colour', 'red'],
    ]) {
      const answer = await post(multipart([photo, { field: field!, value: value! }]));
      expect(answer.status, `${field}=${value}`).toBe(400);
      expect(answer.json().error).toContain(`"${field}"`);
    }
    const notPhoto = await post(multipart([{ field: 'photo', filename: 'notes.txt', content: Buffer.from('hello') }]));
    expect(notPhoto.status).toBe(400);
    expect(notPhoto.json().rejected).toEqual([{ name: 'notes.txt', error: expect.stringContaining('not a photo') }]);
    expect((await post(multipart([{ field: 'hint', value: 'no photo' }]))).status).toBe(400);
    const wrongType = await call('POST', '/api/photos', { headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
    expect(wrongType.status).toBe(415);
    const broken = await call('POST', '/api/photos', {
      headers: { ...auth, 'content-type': 'multipart/form-data; boundary=x' },
      body: '--x\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n\r\nhalf a part',
    });
    expect(broken.status).toBe(400);
    expect(uploads()).toEqual(before);
  });

  it('answers 413 to a photo over serve.uploadMaxMb and keeps none of the request', async () => {
    const before = uploads();
    const big = Buffer.concat([jpeg('nikon-d5000.jpg', 'big'), Buffer.alloc(1024 * 1024)]);
    const form = multipart([
      { field: 'photo', filename: 'small.jpg', content: jpeg('htc-desire-gps.jpg', 'small') },
      { field: 'photo', filename: 'big.jpg', content: big },
    ]);
    const answer = await call('POST', '/api/photos', { headers: { ...auth, ...form.headers }, body: form.body });
    expect(answer.status).toBe(413);
    expect(answer.json().error).toContain('serve.uploadMaxMb');
    expect(uploads()).toEqual(before);
  });
});

describe('GET /api/photos', () => {
  it('lists every photo with a total, pages, filters and searches, and refuses bad parameters', async () => {
    const all = (await call('GET', '/api/photos?limit=500')).json();
    expect(all.total).toBeGreaterThanOrEqual(2);
    const pages = [];
    for (let offset = 0; offset < all.total; offset++) pages.push((await call('GET', `/api/photos?limit=1&offset=${offset}`)).json());
    expect(pages.map((p) => p.photos[0].id)).toEqual(all.photos.map((p: { id: number }) => p.id));
    expect(pages.every((p) => p.total === all.total && p.limit === 1)).toBe(true);
    const done = (await call('GET', '/api/photos?status=done&source=api')).json();
    expect(done.photos.every((p: { status: string; source: string }) => p.status === 'done' && p.source === 'api')).toBe(true);
    const title = done.photos[0].title as string;
    const found = (await call('GET', `/api/photos?q=${encodeURIComponent(title.split(' ')[0]!.toLowerCase())}`)).json();
    expect(found.total).toBeGreaterThanOrEqual(1);
    expect((await call('GET', '/api/photos?q=zzzqqq')).json()).toMatchObject({ total: 0, photos: [] });
    expect((await call('GET', '/api/photos?since=2099-01-01')).json().total).toBe(0);
    expect(
      (await call('GET', `/api/photos?since=2020-01-01&until=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).json()
        .total,
    ).toBe(all.total);
    for (const query of [
      'limit=0',
      'limit=abc',
      'limit=501',
      'offset=-1',
      'status=lost',
      'source=ftp',
      'since=yesterday',
      'colour=red',
      'limit=1&limit=2',
      'since=2026-02-01&until=2026-01-01',
    ])
      expect((await call('GET', `/api/photos?${query}`)).status, query).toBe(400);
    expect((await call('GET', '/api/photos/abc')).status).toBe(400);
    expect((await call('GET', '/api/photos/0')).status).toBe(400);
    expect((await call('GET', '/api/photos/999999')).status).toBe(404);
    expect((await call('GET', '/api/photos/999999/file')).status).toBe(404);
    expect((await call('DELETE', '/api/photos/1')).status).toBe(405);
  });
});

describe('POST /api/scan', () => {
  it('queues what is in a watched folder or under it, and refuses anything outside', async () => {
    const scan = (body: unknown, headers: Record<string, string> = auth) =>
      call('POST', '/api/scan', { headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await scan({}, {})).status).toBe(401);
    const sub = await scan({ path: 'sub' });
    expect(sub.status).toBe(200);
    expect(sub.json()).toMatchObject({ folders: [path.join(watched, 'sub')], found: 2, queued: 2 });
    expect(
      sub
        .json()
        .photos.map((p: { path: string }) => p.path)
        .sort(),
    ).toEqual([path.join(watched, 'sub', 'deeper', 'deep.jpg'), path.join(watched, 'sub', 'in-sub.jpg')].sort());
    const ids = sub.json().photos.map((p: { id: number }) => p.id);
    for (const id of ids) await until(async () => ((await call('GET', `/api/photos/${id}`)).json().status === 'done' ? true : undefined));
    // Absolute and inside; everything there is tagged and unchanged now.
    const again = await scan({ path: path.join(watched, 'sub', 'deeper') });
    expect(again.json()).toMatchObject({ found: 1, queued: 0, unchanged: 1 });
    // The whole watched folder: the top photo is new; the link to a folder outside is not followed.
    const whole = await scan({});
    expect(whole.json()).toMatchObject({ folders: [watched], found: 3, queued: 1, unchanged: 2 });
    expect(JSON.stringify(whole.json())).not.toContain('secret.jpg');

    for (const outside of [
      '..',
      '../outside',
      'sub/../../outside',
      path.join(dir, 'outside'),
      '/etc',
      'link-out',
      path.join(watched, 'link-out'),
      `${watched}-not`,
    ])
      expect((await scan({ path: outside })).status, outside).toBe(403);
    expect((await scan({ path: 'missing' })).status).toBe(404);
    expect((await scan({ path: 'sub/in-sub.jpg' })).status).toBe(400);
    for (const body of ['{"path": 5}', '{"path": ""}', '{"folder": "sub"}', '{"path": "sub"', '[]'])
      expect((await call('POST', '/api/scan', { headers: auth, body })).status, body).toBe(400);
    const stats = (await call('GET', '/stats')).json();
    expect(stats.perSource.map((s: { source: string }) => s.source)).toEqual(expect.arrayContaining(['api', 'scan']));
  }, 180_000);
});

describe('GET /stats and /api/recent', () => {
  it('honour their parameters', async () => {
    const now = (await call('GET', '/stats')).json();
    expect(now.totals.done).toBeGreaterThanOrEqual(3);
    expect(now.perDay).toHaveLength(30);
    expect(now.totals.avgMs).toBeGreaterThan(0);
    expect(now.perDay.at(-1).avgMs).toBeGreaterThan(0);
    const past = (await call('GET', '/stats?since=2020-01-01&until=2020-01-03')).json();
    expect(past.range).toEqual({ since: new Date('2020-01-01').toISOString(), until: new Date('2020-01-03').toISOString() });
    expect(past.totals).toMatchObject({ done: 0, failed: 0, avgMs: null });
    expect(past.perDay.length).toBeGreaterThanOrEqual(2);
    expect((await call('GET', '/stats?days=2')).json().perDay).toHaveLength(2);
    for (const query of ['since=soon', 'days=0', 'until=2020-01-01&since=2021-01-01', 'colour=red'])
      expect((await call('GET', `/stats?${query}`)).status, query).toBe(400);
    const recent = (await call('GET', '/api/recent?limit=1')).json();
    expect(recent.done).toHaveLength(1);
    expect((await call('GET', '/api/recent')).json().done.length).toBeGreaterThan(1);
    expect((await call('GET', '/api/recent?limit=0')).status).toBe(400);
  });
});

describe('the OpenAPI document', () => {
  it('documents every route the server answers, and every answer above matches it', async () => {
    const source = fs.readFileSync(path.join(ROOT, 'src/daemon/http.ts'), 'utf8');
    const switchRoutes = [...source.matchAll(/case '(GET|POST|PUT|DELETE|PATCH) ([^']+)'/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(switchRoutes).toContain('GET /healthz');
    const routes = apiRoutes({} as Parameters<typeof apiRoutes>[0]).map((r) => `${r.method} ${r.path}`);
    const documented = Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${p}`),
    );
    expect(documented.sort()).toEqual([...new Set([...switchRoutes, ...routes])].sort());
    expect(answers.length).toBeGreaterThan(50);
    const problems = answers
      .filter((a) => a.status !== 405) // a method the route does not have is not part of its description
      .flatMap((a) => responseProblems(doc, a.method, a.pathname, a.status, a.body));
    expect(problems).toEqual([]);
    // The routes the tests above did not call answer as documented too.
    for (const route of ['/healthz', '/readyz', '/metrics', '/']) {
      const answer = await request(new URL(route, served.url).href);
      expect(
        responseProblems(doc, 'GET', route, answer.status, route === '/healthz' || route === '/readyz' ? answer.json() : undefined),
      ).toEqual([]);
    }
  });
});

describe('beyond loopback and without a token', () => {
  it('every API route needs the token beyond loopback', async () => {
    const lan = await startServe([...provider(), '--host', '0.0.0.0', '--token-file', path.join(dir, 'token')], env(path.join(dir, 'lan')));
    try {
      const url = (p: string) => new URL(p, lan.url.replace('0.0.0.0', '127.0.0.1')).href;
      for (const route of ['/api/photos', '/api/photos/1', '/api/photos/1/file', '/api/openapi.json', '/stats?days=2', '/api/recent']) {
        expect((await request(url(route))).status, route).toBe(401);
        expect((await request(url(route), { headers: { authorization: `Bearer ${TOKEN}x` } })).status, route).toBe(401);
        expect([200, 404], route).toContain((await request(url(route), { headers: auth })).status);
      }
      const form = multipart([{ field: 'photo', filename: 'p.jpg', content: jpeg('nikon-d5000.jpg', 'lan') }]);
      expect((await request(url('/api/photos'), { method: 'POST', headers: form.headers, body: form.body })).status).toBe(401);
      expect((await request(url('/api/scan'), { method: 'POST', body: '{}' })).status).toBe(401);
    } finally {
      lan.child.kill('SIGTERM');
      await lan.exit;
    }
  });

  it('with no token configured, uploads and scans are refused on loopback too; old uploads go after telegram.retentionDays', async () => {
    const quiet = path.join(dir, 'quiet');
    fs.mkdirSync(path.join(quiet, 'data', 'uploads'), { recursive: true });
    const old = path.join(quiet, 'data', 'uploads', '1000000000000-old.jpg');
    const fresh = path.join(quiet, 'data', 'uploads', '1000000000001-fresh.jpg');
    fs.writeFileSync(old, jpeg('nikon-d5000.jpg', 'old'));
    fs.writeFileSync(fresh, jpeg('nikon-d5000.jpg', 'fresh'));
    const longAgo = Date.now() / 1000 - 8 * 86_400;
    fs.utimesSync(old, longAgo, longAgo);
    fs.writeFileSync(path.join(quiet, 'phototag.config.json'), JSON.stringify({ telegram: { retentionDays: 7 } }));
    const open = await startServe([...provider(), '--config', path.join(quiet, 'phototag.config.json')], env(path.join(quiet, 'data')));
    try {
      const form = multipart([{ field: 'photo', filename: 'p.jpg', content: jpeg('nikon-d5000.jpg', 'quiet') }]);
      const upload = await request(new URL('/api/photos', open.url).href, { method: 'POST', headers: form.headers, body: form.body });
      expect(upload.status).toBe(403);
      expect((await request(new URL('/api/scan', open.url).href, { method: 'POST', body: '{}' })).status).toBe(403);
      expect((await request(new URL('/api/photos', open.url).href)).status).toBe(200);
      await open.waitFor((logs) => logs.some((l) => l.msg === 'old uploads removed'));
      expect(fs.existsSync(old)).toBe(false);
      expect(fs.existsSync(fresh)).toBe(true);
    } finally {
      open.child.kill('SIGTERM');
      await open.exit;
    }
  });
});
