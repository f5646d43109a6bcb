import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyCorpus, ROOT, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { startFakeTelegram } from '../support/fake-telegram.mjs';
import { startServe } from '../support/serve.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'dashboard-token-0123456789';
type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;
let browser: Browser;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dir = tempDir('phototag-dashboard-');
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is needed for this test (apt-get install chromium; .ci/run installs it)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard in headless Chromium', () => {
  it('shows the numbers /stats has, the newest photos, and its Retry button re-queues a failed photo', async () => {
    const data = path.join(dir, 'data');
    const env = { PATH: process.env.PATH ?? '', HOME: dir, PHOTOTAG_DATA_DIR: data, PHOTOTAG_API_KEY: 'sk-dash' };
    const [good, flaky] = copyCorpus(dir, ['jpeg/htc-desire-gps.jpg', 'jpeg/nikon-d5000.jpg']);
    const provider = ['--provider', 'openai', '--base-url', fake.url, '--model', 'fake/vision', '--rpm', '0'];
    // Not spawnSync: the fake model server lives in this process and must keep answering.
    const tag = (...args: string[]) =>
      new Promise((resolve) =>
        spawn(process.execPath, [path.join(ROOT, 'bin/phototag.js'), 'tag', ...provider, ...args], { env }).on('close', resolve),
      );
    await tag(good!);
    fake.push({ type: 'http', status: 500 });
    await tag('--max-attempts', '1', flaky!);
    fs.writeFileSync(path.join(dir, 'token'), TOKEN);

    const served = await startServe([...provider, '--token-file', path.join(dir, 'token')], env);
    try {
      const page = await browser.newPage();
      page.on('dialog', (dialog) => void dialog.accept(TOKEN));
      await page.goto(served.url);
      const stats = await (await fetch(new URL('/stats', served.url))).json();
      await page.waitForFunction(() => document.getElementById('done')?.textContent !== '–');
      expect(await page.textContent('#done')).toBe(String(stats.totals.done));
      expect(await page.textContent('#failed')).toBe(String(stats.totals.failed));
      expect(stats.totals).toMatchObject({ done: 1, failed: 1 });
      expect(await page.locator('tr.photo').first().textContent()).toContain('Photo 776x909');
      expect(await page.locator('tr.failure').first().textContent()).toContain('HTTP 500');

      await page.click('tr.failure button.retry');
      await served.waitFor((logs) => logs.some((l) => l.msg === 'photo tagged' && l.file === flaky), 20_000);
      await page.waitForFunction(() => document.getElementById('done')?.textContent === '2', undefined, { timeout: 20_000 });
      expect(await page.textContent('#failed')).toBe('0');
      expect(await page.locator('tr.failure').count()).toBe(0);
      const after = await (await fetch(new URL('/stats', served.url))).json();
      expect(after.totals).toMatchObject({ done: 2, failed: 0 });
      await page.screenshot({ path: path.join(dir, 'dashboard.png') });
    } finally {
      served.child.kill('SIGTERM');
      await served.exit;
    }

    // Without a token there is no Retry button: the server would refuse it.
    fake.push({ type: 'http', status: 500 });
    const [other] = copyCorpus(dir, [['jpeg/olympus-pen-e-p3.jpg', 'other.jpg']]);
    await tag('--max-attempts', '1', other!);
    const open = await startServe([...provider], env);
    try {
      const page = await browser.newPage();
      await page.goto(open.url);
      await page.waitForFunction(() => document.querySelectorAll('tr.failure').length === 1);
      expect(await page.locator('button.retry').count()).toBe(0);
    } finally {
      open.child.kill('SIGTERM');
      await open.exit;
    }
  });

  it('beyond loopback asks for the token once, keeps it for the session and shows the numbers', async () => {
    const data = path.join(dir, 'lan-data');
    const env = { PATH: process.env.PATH ?? '', HOME: dir, PHOTOTAG_DATA_DIR: data, PHOTOTAG_API_KEY: 'sk-dash' };
    fs.writeFileSync(path.join(dir, 'token'), TOKEN);
    const served = await startServe(
      [
        '--provider',
        'openai',
        '--base-url',
        fake.url,
        '--model',
        'fake/vision',
        '--host',
        '0.0.0.0',
        '--token-file',
        path.join(dir, 'token'),
      ],
      env,
    );
    try {
      const page = await browser.newPage();
      let asked = 0;
      page.on('dialog', (dialog) => {
        asked++;
        void dialog.accept(TOKEN);
      });
      await page.goto(served.url.replace('0.0.0.0', '127.0.0.1'));
      await page.waitForFunction(() => document.getElementById('done')?.textContent === '0');
      await page.reload();
      await page.waitForFunction(() => document.getElementById('done')?.textContent === '0');
      expect(asked).toBe(1);
      expect(await page.textContent('#message')).toBe('');
    } finally {
      served.child.kill('SIGTERM');
      await served.exit;
    }
  });

  it("shows each part's health, the model in use, photos in progress, day labels, and the breaker's pause, with no secret on it", async () => {
    const botToken = '123456:ABC-dashboard-bot-secret';
    const apiKey = 'sk-dashboard-secret-key';
    const telegram = await startFakeTelegram(botToken);
    const watched = path.join(dir, 'health-watched');
    fs.mkdirSync(watched);
    fs.writeFileSync(path.join(dir, 'token'), TOKEN);
    fs.writeFileSync(
      path.join(dir, 'health.config.json'),
      JSON.stringify({
        provider: 'openai',
        baseUrl: fake.url,
        model: 'fake/vision',
        rpm: 0,
        serve: { watch: [watched], stableSeconds: 0.2, tokenFile: path.join(dir, 'token') },
        telegram: { allowedUsers: [1], apiRoot: telegram.apiRoot },
      }),
    );
    const served = await startServe(['--config', path.join(dir, 'health.config.json')], {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      PHOTOTAG_DATA_DIR: path.join(dir, 'health-data'),
      PHOTOTAG_API_KEY: apiKey,
      TELEGRAM_BOT_TOKEN: botToken,
    });
    try {
      const page = await browser.newPage();
      await page.goto(served.url);
      await page.waitForSelector('#health li.part');
      const part = (name: string) => page.locator('#health li.part', { hasText: name }).first();
      for (const name of ['database', 'ExifTool', 'Telegram', 'provider']) expect(await part(name).getAttribute('class')).toContain('ok');
      expect(await part('Telegram').textContent()).toContain('long polling');
      expect(await part(`watcher ${watched}`).textContent()).toBe(`watcher ${watched}: watching`);
      expect(await page.textContent('#model')).toBe('fake/vision');
      expect(await page.isVisible('#idle')).toBe(true);

      // Day labels: today's (the chart's last day) is on it, as a user reads it.
      const stats = await (await fetch(new URL('/stats', served.url))).json();
      const last: string = stats.perDay.at(-1).day;
      const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
      const labels = await page.locator('#dayLabels span').allTextContents();
      expect(labels).toHaveLength(30);
      expect(labels.at(-1)).toBe(`${months[Number(last.slice(5, 7)) - 1]} ${Number(last.slice(8, 10))}`);
      expect(labels.filter(Boolean).length).toBeGreaterThanOrEqual(5);

      // A photo while the model thinks: in progress, at the analyzing stage.
      let release!: () => void;
      fake.push({ type: 'ok', hold: new Promise<void>((resolve) => (release = resolve)) });
      copyCorpus(watched, [['jpeg/htc-desire-gps.jpg', 'holiday.jpg']]);
      await page.waitForSelector('tr.progress', { timeout: 30_000 });
      await page.waitForFunction(() => document.querySelector('tr.progress')?.textContent?.includes('analyzing'), undefined, {
        timeout: 20_000,
      });
      expect(await page.locator('tr.progress').first().textContent()).toContain('holiday.jpg');
      expect(await page.isVisible('#idle')).toBe(false);
      release();
      await served.waitFor((logs) => logs.some((l) => l.msg === 'photo tagged'));
      await page.waitForSelector('#idle', { state: 'visible', timeout: 20_000 });

      // The provider drops every connection: the breaker pauses it, and the page says until when.
      fake.push({ type: 'drop' }, { type: 'drop' }, { type: 'drop' });
      copyCorpus(watched, [['jpeg/nikon-d5000.jpg', 'second.jpg']]);
      await served.waitFor((logs) => logs.some((l) => l.msg === 'model paused after repeated failures'), 40_000);
      await page.waitForFunction(() => document.querySelector('#health li.part.failing')?.textContent?.includes('provider'), undefined, {
        timeout: 20_000,
      });
      expect(await part('provider').textContent()).toMatch(/^provider: failing: .*provider unreachable until \d{1,2}:\d{2}:\d{2}/u);

      // Secrets never appear: not the API key, the bot token or the HTTP token.
      const html = await page.content();
      for (const secret of [apiKey, botToken, TOKEN, 'ABC-dashboard']) expect(html).not.toContain(secret);
      await page.screenshot({ path: path.join(dir, 'dashboard-health.png'), fullPage: true });
    } finally {
      served.child.kill('SIGTERM');
      await served.exit;
      await telegram.close();
    }
  }, 120_000);
});
