import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, copyCorpus, readTags, ROOT, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { startServe } from '../support/serve.js';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;
const TOKEN = 'test-token-0123456789abcdef';
const NAMES = [
  'htc-desire-gps.jpg',
  'nikon-d5000.jpg',
  'olympus-pen-e-p3.jpg',
  'fujifilm-finepix2650.jpg',
  'sony-dsc-hx5v-gps.jpg',
  'panasonic-dmc-lc70.jpg',
  'pentax-ist-d-makernote-preview.jpg',
  'canon-powershot-a85-orientation8.jpg',
];

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dir = tempDir('phototag-serve-');
  fs.writeFileSync(path.join(dir, 'token'), `${TOKEN}\n`);
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
  fs.rmSync(dir, { recursive: true, force: true });
});

function env(data: string, extra: Record<string, string> = {}): Record<string, string> {
  return { HOME: dir, PHOTOTAG_DATA_DIR: data, PHOTOTAG_API_KEY: 'sk-serve-test', ...extra };
}
const provider = (url = fake.url) => ['--provider', 'openai', '--base-url', url, '--model', 'fake/vision', '--rpm', '0'];

/** `count` distinct photos (corpus copies with their own trailing bytes) in `folder`. */
function photos(folder: string, count: number, prefix = 'p'): string[] {
  fs.mkdirSync(folder, { recursive: true });
  return Array.from({ length: count }, (_, i) => {
    const [file] = copyCorpus(folder, [[`jpeg/${NAMES[i % NAMES.length]}`, `${prefix}${String(i).padStart(3, '0')}.jpg`]]);
    fs.appendFileSync(file!, Buffer.from(`copy ${prefix}${i}`));
    return file!;
  });
}

describe('phototag serve over HTTP', () => {
  it('answers health, readiness, stats, metrics and the dashboard, and guards retry with the token', async () => {
    const data = path.join(dir, 'http-data');
    const served = await startServe([...provider(), '--token-file', path.join(dir, 'token')], env(data));
    try {
      const get = (p: string) => fetch(new URL(p, served.url));
      expect(await (await get('/healthz')).json()).toEqual({ status: 'ok' });
      const ready = await get('/readyz');
      expect(ready.status).toBe(200);
      expect((await ready.json()).checks).toMatchObject({ database: 'ok', exiftool: 'ok 13.59', provider: 'closed' });
      const stats = await (await get('/stats')).json();
      const cli = spawnSync(process.execPath, [path.join(ROOT, 'bin/phototag.js'), 'stats', '--json'], {
        env: { PATH: process.env.PATH ?? '', ...env(data) },
        encoding: 'utf8',
      });
      expect(stats.totals).toEqual(JSON.parse(cli.stdout).totals);
      expect(stats.perDay).toHaveLength(30);
      const metrics = await (await get('/metrics')).text();
      expect(metrics).toContain('phototag_queue_depth{state="queued"} 0');
      expect(metrics).toContain('# TYPE phototag_photos_total counter');
      expect(metrics).toContain('phototag_process_resident_memory_bytes');
      const page = await get('/');
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('<title>phototag</title>');
      expect((await get('/../../etc/passwd')).status).toBe(404);
      expect((await get('/phototag.db')).status).toBe(404);

      const retry = (authorization?: string) =>
        fetch(new URL('/api/retry', served.url), { method: 'POST', headers: authorization ? { authorization } : {}, body: '{}' });
      expect((await retry()).status).toBe(401);
      expect((await retry(`Bearer ${TOKEN}x`)).status).toBe(401);
      const ok = await retry(`Bearer ${TOKEN}`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ requeued: 0 });

      const second = await startServe([...provider()], env(data));
      expect((await second.exit).code).toBe(1);
      expect((await second.exit).stderr).toMatch(/phototag serve is already running on .*http-data \(pid \d+/);
    } finally {
      served.child.kill('SIGTERM');
    }
    expect((await served.exit).code).toBe(0);
    expect(served.logs().map((l) => l.msg)).toContain('stopped');
    expect(JSON.stringify(served.logs())).not.toContain(TOKEN);
  });

  it('refuses to listen beyond loopback without a token', async () => {
    const served = await startServe([...provider(), '--host', '0.0.0.0'], env(path.join(dir, 'open-data')));
    const exit = await served.exit;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('Refusing to listen on 0.0.0.0 without a token');
    const guarded = await startServe(
      [...provider(), '--host', '0.0.0.0', '--token-file', path.join(dir, 'token')],
      env(path.join(dir, 'open-data')),
    );
    expect(guarded.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/$/);
    guarded.child.kill('SIGTERM');
    expect((await guarded.exit).code).toBe(0);
  });
});

describe('the watcher', () => {
  it('tags 200 photos dropped at once and photos written slowly, each exactly once, none read half-written', async () => {
    const inbox = path.join(dir, 'inbox');
    fs.mkdirSync(inbox);
    const data = path.join(dir, 'watch-data');
    const calls = fake.state.calls.length;
    const served = await startServe([...provider(), '--watch', inbox, '--concurrency', '4'], env(data));
    try {
      const staged = photos(path.join(dir, 'staging'), 200);
      for (const file of staged) fs.renameSync(file, path.join(inbox, path.basename(file)));
      // Two photos copied slowly, in chunks over about four seconds (a slow network share).
      const slow = ['slow-a.jpg', 'slow-b.jpg'].map((name, i) => {
        const bytes = Buffer.concat([
          fs.readFileSync(copyCorpus(dir, [[`jpeg/${NAMES[i]}`, `src-${name}`]])[0]!),
          Buffer.from(`slow ${i}`),
        ]);
        return { target: path.join(inbox, name), bytes };
      });
      for (let chunk = 0; chunk < 8; chunk++) {
        for (const { target, bytes } of slow)
          fs.appendFileSync(target, bytes.subarray(Math.floor((chunk * bytes.length) / 8), Math.floor(((chunk + 1) * bytes.length) / 8)));
        await new Promise((r) => setTimeout(r, 500));
      }
      const tagged = () => served.logs().filter((l) => l.msg === 'photo tagged');
      await served.waitFor(() => tagged().length >= 202, 240_000);
      await new Promise((r) => setTimeout(r, 4000)); // time for any duplicate to show up
      const perFile = new Map<string, number>();
      for (const line of tagged()) perFile.set(String(line.file), (perFile.get(String(line.file)) ?? 0) + 1);
      expect(perFile.size).toBe(202);
      expect([...perFile.values()].every((n) => n === 1)).toBe(true);
      expect(served.logs().filter((l) => l.msg === 'photo failed')).toEqual([]);
      expect(fake.state.calls.length - calls).toBe(202);
      for (const { target } of slow) expect(String((await readTags(target))['XMP-dc:Title'])).toMatch(/^Photo \d+x\d+$/);
      expect(fs.readdirSync(inbox).filter((f) => f.startsWith('.'))).toEqual([]);
    } finally {
      served.child.kill('SIGTERM');
    }
    expect((await served.exit).code).toBe(0);
  }, 240_000); // as long as its own wait: 202 photos take about a minute on a loaded 2-core machine
});

describe('folders from a config file', () => {
  it('polls, rescans periodically, and moves done and failed photos (sidecars too) into their folders', async () => {
    const root = path.join(dir, 'configured');
    const inbox = path.join(root, 'inbox');
    fs.mkdirSync(path.join(inbox, '2026'), { recursive: true });
    const [already] = copyCorpus(path.join(inbox, '2026'), ['jpeg/htc-desire-gps.jpg']);
    const old = Date.now() / 1000 - 60;
    fs.utimesSync(already!, old, old);
    fs.writeFileSync(
      path.join(root, 'phototag.config.yaml'),
      [
        'provider: openai',
        `baseUrl: ${fake.url}`,
        'model: fake/vision',
        'rpm: 0',
        'serve:',
        '  watch: [inbox]',
        '  polling: true',
        '  pollIntervalSeconds: 0.5',
        '  stableSeconds: 1',
        '  scanOnStart: false',
        '  rescanMinutes: 0.05',
        '  processedDir: processed',
        '  failedDir: failed',
        '',
      ].join('\n'),
    );
    const served = await startServe(['--config', path.join(root, 'phototag.config.yaml')], env(path.join(root, 'data')));
    try {
      // Not seen at start (no initial scan) and not a change: only the periodic rescan finds it.
      await served.waitFor((l) => l.some((e) => e.msg === 'photo tagged' && e.file === already), 20_000);
      expect(served.logs().find((e) => e.msg === 'watching folders')).toMatchObject({ polling: true });
      const [raw, broken] = copyCorpus(inbox, ['raw/canon-eos-r6-gps-with-preview.cr3', 'broken/truncated-jpeg-100x100.jpg']);
      await served.waitFor(
        (l) => l.some((e) => e.msg === 'photo tagged' && e.file === raw) && l.some((e) => e.msg === 'photo failed' && e.file === broken),
        30_000,
      );
      await new Promise((r) => setTimeout(r, 500));
      expect(fs.existsSync(path.join(root, 'processed', '2026', 'htc-desire-gps.jpg'))).toBe(true);
      expect(fs.existsSync(path.join(root, 'processed', 'canon-eos-r6-gps-with-preview.cr3'))).toBe(true);
      expect(fs.existsSync(path.join(root, 'processed', 'canon-eos-r6-gps-with-preview.xmp'))).toBe(true);
      expect(fs.existsSync(path.join(root, 'failed', 'truncated-jpeg-100x100.jpg'))).toBe(true);
      expect(fs.readdirSync(inbox).filter((f) => !fs.statSync(path.join(inbox, f)).isDirectory())).toEqual([]);
      expect(String((await readTags(path.join(root, 'processed', '2026', 'htc-desire-gps.jpg')))['XMP-dc:Title'])).toMatch(/^Photo/);
    } finally {
      served.child.kill('SIGTERM');
    }
    expect((await served.exit).code).toBe(0);
  });
});

describe('lifecycle', () => {
  it('on SIGTERM lets photos in progress finish and exits 0; the restarted daemon finishes the rest', async () => {
    const slow = await startFakeOpenAI({ latencyMs: 1500 });
    const inbox = path.join(dir, 'term-inbox');
    const files = photos(inbox, 6, 't');
    const old = Date.now() / 1000 - 60;
    for (const file of files) fs.utimesSync(file, old, old); // already there, not being copied
    const data = path.join(dir, 'term-data');
    try {
      const first = await startServe([...provider(slow.url), '--watch', inbox, '--concurrency', '2'], env(data));
      while (slow.state.calls.length < 1) await new Promise((r) => setTimeout(r, 20));
      const stopAt = Date.now();
      first.child.kill('SIGTERM');
      expect((await first.exit).code).toBe(0);
      expect(Date.now() - stopAt).toBeLessThan(30_000);
      const doneFirst = first.logs().filter((l) => l.msg === 'photo tagged').length;
      expect(doneFirst).toBeGreaterThanOrEqual(1);
      expect(doneFirst).toBeLessThan(files.length);

      const second = await startServe([...provider(slow.url), '--watch', inbox, '--concurrency', '2'], env(data));
      await second.waitFor((l) => l.filter((e) => e.msg === 'photo tagged').length === files.length - doneFirst, 60_000);
      second.child.kill('SIGTERM');
      expect((await second.exit).code).toBe(0);
      for (const file of files) expect(String((await readTags(file))['XMP-dc:Title'])).toMatch(/^Photo/);
      expect(slow.state.calls.length).toBe(files.length);
    } finally {
      await slow.close();
    }
  });

  it('tells systemd READY, WATCHDOG and STOPPING when NOTIFY_SOCKET is set', async () => {
    const socket = path.join(dir, 'notify.sock');
    const listener = spawn('python3', [path.join(ROOT, 'tests/support/notify-listener.py'), socket]);
    let heard = '';
    listener.stdout.on('data', (d) => (heard += d));
    while (!heard.includes('listening')) await new Promise((r) => setTimeout(r, 20));
    try {
      const served = await startServe(
        [...provider()],
        env(path.join(dir, 'notify-data'), { NOTIFY_SOCKET: socket, WATCHDOG_USEC: '2000000' }),
      );
      const until = async (text: string) => {
        const deadline = Date.now() + 10_000;
        while (!heard.includes(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(heard).toContain(text);
      };
      await until('READY=1');
      await until('WATCHDOG=1');
      served.child.kill('SIGTERM');
      expect((await served.exit).code).toBe(0);
      await until('STOPPING=1');
    } finally {
      listener.kill();
    }
  });

  it('ships systemd units that systemd-analyze verify accepts', () => {
    const units = ['phototag.service', 'phototag-backup.service', 'phototag-backup.timer'].map((u) =>
      path.join(ROOT, 'install/systemd', u),
    );
    const result = spawnSync('systemd-analyze', ['verify', ...units], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
