import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, copyCorpus, readTags, ROOT, tempDir } from '../support/corpus.js';
import { freePort, startDroppingPort, startFakeOpenAI } from '../support/fake-openai.mjs';
import { startServe } from '../support/serve.js';

let dir: string;
beforeAll(() => {
  dir = tempDir('phototag-down-');
});
afterAll(async () => {
  await closeTestExifTool();
  fs.rmSync(dir, { recursive: true, force: true });
});

const env = (data: string) => ({ HOME: dir, PHOTOTAG_DATA_DIR: data, PHOTOTAG_API_KEY: 'sk-down-test' });
const provider = (url: string) => ['--provider', 'openai', '--base-url', url, '--model', 'fake/vision', '--rpm', '0'];

function config(name: string, values: Record<string, unknown>): string {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(values));
  return file;
}

function photosIn(folder: string, names: string[]): string[] {
  fs.mkdirSync(folder, { recursive: true });
  return copyCorpus(
    folder,
    names.map((n) => `jpeg/${n}`),
  );
}

describe('phototag tag against a port that drops every connection', () => {
  it('does not exit 0 with nothing tagged: the photo ends queued or failed with a reason, exit 1', async () => {
    const drop = await startDroppingPort();
    const [file] = photosIn(path.join(dir, 'drop'), ['olympus-pen-e-p3.jpg']);
    try {
      const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [path.join(ROOT, 'bin/phototag.js'), 'tag', ...provider(drop.url), '--timeout', '2', '--max-attempts', '1', file!],
          { env: { PATH: process.env.PATH ?? '', ...env(path.join(dir, 'drop-data')) } },
        );
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.on('close', (code) => resolve({ code, out }));
      });
      expect(run.code).toBe(1);
      expect(run.out).toMatch(/still queued|failed/);
      expect(run.out).toMatch(/Cannot reach the provider|did not answer in time/);
    } finally {
      await drop.close();
    }
  }, 60_000);
});

describe('phototag serve with the provider down', () => {
  it('keeps photos queued, pauses, reports it in /readyz, and resumes when the provider comes back', async () => {
    const port = await freePort();
    const watched = path.join(dir, 'watched');
    const files = photosIn(watched, ['olympus-pen-e-p3.jpg', 'htc-desire-gps.jpg']);
    const served = await startServe(
      [...provider(`http://127.0.0.1:${port}/v1`), '--watch', watched, '--config', config('down', { pauseSeconds: 2 })],
      env(path.join(dir, 'down-data')),
    );
    let fake: Awaited<ReturnType<typeof startFakeOpenAI>> | undefined;
    try {
      await served.waitFor((logs) => logs.some((l) => l.msg === 'model paused after repeated failures' && l.model === 'provider'));
      const ready = await fetch(new URL('/readyz', served.url));
      expect(ready.status).toBe(503);
      expect((await ready.json()).checks.provider).toMatch(/unreachable/);
      // Both photos wait in the queue (the watcher may still be letting the second one settle): none fails.
      const deadline = Date.now() + 20_000;
      let totals: { failed: number; queued: number } = { failed: 0, queued: 0 };
      while (Date.now() < deadline) {
        totals = (await (await fetch(new URL('/stats', served.url))).json()).totals;
        expect(totals.failed).toBe(0);
        if (totals.queued === 2) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(totals).toMatchObject({ failed: 0, queued: 2 });

      fake = await startFakeOpenAI({ port });
      await served.waitFor((logs) => logs.filter((l) => l.msg === 'photo tagged').length === 2, 40_000);
      for (const file of files) expect(String((await readTags(file))['XMP-dc:Title'])).toMatch(/^Photo /);
      expect(served.logs().filter((l) => l.msg === 'photo failed')).toEqual([]);
    } finally {
      served.child.kill('SIGTERM');
      expect((await served.exit).code).toBe(0);
      await fake?.close();
    }
  }, 90_000);

  it('ends within shutdownSeconds on SIGTERM while the provider stalls mid-answer; the photo stays queued for the next start', async () => {
    const fake = await startFakeOpenAI({ fallback: { type: 'stall' } });
    const watched = path.join(dir, 'stalled');
    const [file] = photosIn(watched, ['nikon-d5000.jpg']);
    const data = path.join(dir, 'stall-data');
    const settings = config('stall', { timeoutSeconds: 600, serve: { shutdownSeconds: 3 } });
    try {
      const served = await startServe([...provider(fake.url), '--watch', watched, '--config', settings], env(data));
      await served.waitFor(() => fake.state.calls.length >= 1);
      const ready = await (await fetch(new URL('/readyz', served.url))).json();
      expect(ready.checks.workers).toBe('1 busy');
      served.child.kill('SIGTERM');
      const ended = await Promise.race([served.exit, new Promise<'hung'>((resolve) => setTimeout(resolve, 15_000, 'hung'))]);
      if (ended === 'hung') served.child.kill('SIGKILL');
      expect(ended).not.toBe('hung');
      expect((ended as { code: number | null }).code).toBe(0);

      fake.state.fallback = { type: 'ok' };
      const again = await startServe([...provider(fake.url), '--watch', watched, '--config', settings], env(data));
      try {
        await again.waitFor((logs) => logs.some((l) => l.msg === 'photo tagged'));
        expect(String((await readTags(file!))['XMP-dc:Title'])).toMatch(/^Photo /);
      } finally {
        again.child.kill('SIGTERM');
        expect((await again.exit).code).toBe(0);
      }
    } finally {
      await fake.close();
    }
  }, 90_000);
});

describe('the model list', () => {
  it('is read again while serve runs: a withdrawn auto model is replaced by the new one', async () => {
    const fake = await startFakeOpenAI();
    const watched = path.join(dir, 'refresh');
    fs.mkdirSync(watched);
    const settings = config('refresh', { modelListHours: 0.001 }); // 3.6 s
    const served = await startServe(
      ['--provider', 'openrouter', '--base-url', fake.url, '--model', 'auto', '--rpm', '0', '--watch', watched, '--config', settings],
      env(path.join(dir, 'refresh-data')),
    );
    try {
      const free = (id: string) => ({ ...fake.state.models.find((m: { id: string }) => m.id === 'free/vision-a:free'), id, name: id });
      fake.state.models = [free('free/vision-new:free')];
      await served.waitFor(
        (logs) => logs.some((l) => l.msg === 'model list refreshed' && JSON.stringify(l.models) === '["free/vision-new:free"]'),
        20_000,
      );
      photosIn(watched, ['olympus-pen-e-p3.jpg']);
      await served.waitFor((logs) => logs.some((l) => l.msg === 'photo tagged'), 30_000);
      expect(served.logs().find((l) => l.msg === 'photo tagged')!.model).toBe('free/vision-new:free');
    } finally {
      served.child.kill('SIGTERM');
      expect((await served.exit).code).toBe(0);
      await fake.close();
    }
  }, 60_000);

  it('when /models is down and the cached list is stale, the stale list is used with a warning (exit 0)', async () => {
    const fake = await startFakeOpenAI();
    const data = path.join(dir, 'stale-data');
    const settings = config('stale', { modelListHours: 0.0001 }); // 0.36 s
    const run = (file: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            path.join(ROOT, 'bin/phototag.js'),
            'tag',
            '--provider',
            'openrouter',
            '--base-url',
            fake.url,
            '--model',
            'auto',
            '--rpm',
            '0',
            '--config',
            settings,
            file,
          ],
          { env: { PATH: process.env.PATH ?? '', ...env(data) } },
        );
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.on('close', (code) => resolve({ code, out }));
      });
    try {
      const [first, second] = photosIn(path.join(dir, 'stale'), ['olympus-pen-e-p3.jpg', 'htc-desire-gps.jpg']);
      expect((await run(first!)).code).toBe(0);
      await new Promise((r) => setTimeout(r, 500));
      fake.state.modelsStatus = 503;
      const later = await run(second!);
      expect(later.out).toMatch(/models answered HTTP 503; using the model list cached earlier/);
      expect(later.code).toBe(0);
      expect(String((await readTags(second!))['XMP-dc:Title'])).toMatch(/^Photo /);
    } finally {
      await fake.close();
    }
  }, 60_000);
});
