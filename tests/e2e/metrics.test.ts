import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, copyCorpus, CORPUS, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { startFakeTelegram } from '../support/fake-telegram.mjs';
import { labelValues, value } from '../support/metrics.js';
import { startServe, type Served } from '../support/serve.js';

const BOT_TOKEN = '123456:ABC-metrics-bot-token';
const OWNER = 4343;
type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
type FakeTelegram = Awaited<ReturnType<typeof startFakeTelegram>>;
let fake: Fake;
let telegram: FakeTelegram;
let dir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  telegram = await startFakeTelegram(BOT_TOKEN);
  dir = tempDir('phototag-metrics-');
});
afterAll(async () => {
  await telegram.close();
  await fake.close();
  await closeTestExifTool();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function scrape(served: Served): Promise<string> {
  const res = await fetch(new URL('/metrics', served.url));
  expect(res.status).toBe(200);
  return res.text();
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('/metrics of a running phototag serve', () => {
  it('counts failures by kind, retries, fallbacks and switches, stages, bytes sent, Telegram traffic and uploads, without paths or user ids', async () => {
    const watched = path.join(dir, 'watched');
    fs.mkdirSync(watched);
    const data = path.join(dir, 'data');
    const config = path.join(dir, 'phototag.config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        provider: 'openrouter',
        baseUrl: fake.url,
        model: 'auto',
        rpm: 0,
        concurrency: 1,
        serve: { watch: [watched], stableSeconds: 0.2 },
        telegram: { allowedUsers: [OWNER], apiRoot: telegram.apiRoot },
      }),
    );
    const env = { HOME: dir, PHOTOTAG_DATA_DIR: data, PHOTOTAG_API_KEY: 'sk-metrics', TELEGRAM_BOT_TOKEN: BOT_TOKEN };
    const served = await startServe(['--config', config], env);
    try {
      const first = await scrape(served);
      // Before anything happened: the series an alert reads exist at 0, the data dir's free space is known.
      expect(value(first, 'phototag_failures_total', { kind: 'corrupt' })).toBe(0);
      expect(value(first, 'phototag_retries_total')).toBe(0);
      expect(value(first, 'phototag_uploads_total', { source: 'http' })).toBe(0);
      expect(value(first, 'phototag_uploads_total', { source: 'telegram' })).toBe(0);
      expect(value(first, 'phototag_queue_depth', { state: 'queued' })).toBe(0);
      expect(value(first, 'phototag_model_paused', { model: 'provider' })).toBe(0);
      expect(value(first, 'phototag_provider_available')).toBe(1);
      expect(value(first, 'phototag_stage_duration_seconds_count', { stage: 'model' })).toBe(0);
      expect(value(first, 'phototag_data_dir_free_bytes')).toBeGreaterThan(0);
      expect(value(first, 'phototag_data_dir_size_bytes')).toBeGreaterThanOrEqual(value(first, 'phototag_data_dir_free_bytes')!);

      // The first free model answers 500: the photo falls back to the second, which becomes the model in use.
      fake.push({ type: 'http', status: 500 });
      copyCorpus(watched, [['jpeg/htc-desire-gps.jpg', 'IMG_fallback.jpg']]);
      await served.waitFor((logs) => logs.filter((l) => l.msg === 'photo tagged').length === 1);
      // Both free models are rate-limited once: the photo goes back to the queue and is tagged on its next try.
      fake.push({ type: 'http', status: 429, retryAfter: '0' }, { type: 'http', status: 429, retryAfter: '0' });
      copyCorpus(watched, [['jpeg/nikon-d5000.jpg', 'IMG_retried.jpg']]);
      await served.waitFor((logs) => logs.filter((l) => l.msg === 'photo tagged').length === 2);
      // A text file named .jpg fails for good.
      fs.writeFileSync(path.join(watched, 'IMG_notes.jpg'), 'not a photo at all\n');
      await served.waitFor((logs) => logs.some((l) => l.msg === 'photo failed'));
      // A Telegram user sends a photo: an update in, messages out, one upload.
      telegram.send({
        from: OWNER,
        fileId: 'doc-m1',
        name: 'IMG_telegram.jpg',
        bytes: fs.readFileSync(path.join(CORPUS, 'jpeg/olympus-pen-e-p3.jpg')),
      });
      await served.waitFor((logs) => logs.filter((l) => l.msg === 'photo tagged').length === 3);
      await until(() => telegram.state.calls.some((c: { method: string }) => c.method === 'sendDocument'), 'the tagged file sent back');
      // The Bot API refuses a reply once: an error for that method.
      telegram.state.tooMany.set('sendMessage', 1);
      telegram.text(OWNER, '/status');
      await until(
        async () => (value(await scrape(served), 'phototag_telegram_errors_total', { method: 'sendMessage' }) ?? 0) >= 1,
        'a Telegram error counted',
      );

      const text = await scrape(served);
      expect(value(text, 'phototag_photos_total', { status: 'done' })).toBe(3);
      expect(value(text, 'phototag_photos_total', { status: 'failed' })).toBe(1);
      expect(value(text, 'phototag_failures_total', { kind: 'unsupported' })).toBe(1);
      expect(value(text, 'phototag_retries_total')).toBe(1);
      expect(value(text, 'phototag_model_fallbacks_total', { model: 'free/vision-a:free', reason: 'transient' })).toBe(1);
      expect(value(text, 'phototag_model_fallbacks_total', { model: 'free/vision-b:free', reason: 'transient' })).toBe(1);
      expect(value(text, 'phototag_model_switches_total', { model: 'free/vision-b:free' })).toBe(1);
      expect(value(text, 'phototag_model_in_use', { model: 'free/vision-b:free' })).toBe(1);
      expect(value(text, 'phototag_model_paused', { model: 'free/vision-a:free' })).toBe(0);
      expect(value(text, 'phototag_model_calls_total', { model: 'free/vision-b:free', outcome: 'ok' })).toBe(3);
      // Every request's image counted, as the model server received it.
      const state = (await (await fetch(new URL('/_state', fake.url))).json()) as { calls: { imageBytes: number }[] };
      expect(value(text, 'phototag_model_image_bytes_total')).toBe(state.calls.reduce((sum, c) => sum + c.imageBytes, 0));
      expect(value(text, 'phototag_model_image_bytes_total')).toBeGreaterThan(0);
      // Each tagged photo was read, decoded, sent to a model and written once (the 500, the 429s and the text file add reads).
      expect(value(text, 'phototag_stage_duration_seconds_count', { stage: 'write' })).toBe(3);
      expect(value(text, 'phototag_stage_duration_seconds_count', { stage: 'model' })).toBe(4);
      expect(value(text, 'phototag_stage_duration_seconds_count', { stage: 'decode' })).toBeGreaterThanOrEqual(3);
      expect(value(text, 'phototag_stage_duration_seconds_count', { stage: 'read' })).toBe(5);
      expect(value(text, 'phototag_uploads_total', { source: 'telegram' })).toBe(1);
      expect(value(text, 'phototag_telegram_messages_total', { direction: 'in', type: 'message' })).toBe(2);
      expect(value(text, 'phototag_telegram_messages_total', { direction: 'out', type: 'sendDocument' })).toBe(1);
      expect(value(text, 'phototag_telegram_messages_total', { direction: 'out', type: 'sendMessage' })).toBeGreaterThanOrEqual(1);
      expect(value(text, 'phototag_last_success_timestamp_seconds')).toBeGreaterThan(0);
      // Low cardinality: no label carries a path, a file name or a user id.
      for (const label of labelValues(text)) {
        expect(label).not.toContain(dir);
        expect(label).not.toMatch(/IMG_|\.jpg|4343/u);
      }
    } finally {
      served.child.kill('SIGTERM');
      expect((await served.exit).code).toBe(0);
    }

    // After a restart: the last success and the queue come from the database, not from zero.
    const again = await startServe(['--config', config], env);
    try {
      const text = await scrape(again);
      const last = value(text, 'phototag_last_success_timestamp_seconds')!;
      expect(last).toBeGreaterThan(Date.now() / 1000 - 3600);
      expect(last).toBeLessThanOrEqual(Date.now() / 1000);
      expect(value(text, 'phototag_photos_total', { status: 'done' })).toBe(0);
    } finally {
      again.child.kill('SIGTERM');
      expect((await again.exit).code).toBe(0);
    }
  }, 120_000);
});
