import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PhotoError, QuotaError } from '../../src/core/errors.js';
import { VisionClient } from '../../src/core/vision/client.js';
import { CORPUS, copyCorpus, readTags, closeTestExifTool, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { retryFailed, tagFiles } from '../support/harness.js';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
const jpeg = fs.readFileSync(path.join(CORPUS, 'jpeg/htc-desire-gps.jpg'));
const model = (id: string) => ({
  id,
  vision: true,
  free: true,
  promptPrice: 0,
  completionPrice: 0,
  structuredOutput: true,
  contextLength: 0,
});

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
});

function client(candidates: string[], fallback: boolean, onPause?: (model: string, until: number) => void): VisionClient {
  return new VisionClient(
    {
      provider: 'openai',
      baseUrl: fake.url,
      apiKey: 'k',
      candidates: candidates.map(model),
      fallback,
      timeoutMs: 5000,
      rpm: 0,
      breaker: { threshold: 3, cooldownMs: 400 },
    },
    { onPause },
  );
}
const request = { jpeg, languages: ['en'], maxKeywords: 10 };

describe('circuit breaker', () => {
  it('pauses a fixed model after failures in a row, says so, and calls it again after the pause', async () => {
    const paused: string[] = [];
    const vision = client(['fixed/model'], false, (m) => paused.push(m));
    fake.push(...Array.from({ length: 3 }, () => ({ type: 'http' as const, status: 500 })));
    for (let i = 0; i < 3; i++) await expect(vision.analyze(request)).rejects.toMatchObject({ kind: 'transient' });
    expect(paused).toEqual(['fixed/model']);
    const calls = fake.state.calls.length;
    const error = (await vision.analyze(request).catch((e: unknown) => e)) as PhotoError;
    expect(error.message).toMatch(/paused after 3 failures in a row/);
    expect(error.countsAsAttempt).toBe(false);
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(fake.state.calls.length).toBe(calls);
    await new Promise((r) => setTimeout(r, 450));
    await expect(vision.analyze(request)).resolves.toMatchObject({ model: 'fixed/model' });
  });

  it('with auto, moves on to the next model while one is paused', async () => {
    const vision = client(['a/model', 'b/model'], true);
    // a fails three times (each time b answers); then a is skipped without a call.
    fake.push(
      { type: 'http', status: 503 },
      { type: 'ok' },
      { type: 'http', status: 503 },
      { type: 'ok' },
      { type: 'http', status: 503 },
      { type: 'ok' },
    );
    for (let i = 0; i < 3; i++) {
      (vision as unknown as { preferred: number }).preferred = 0;
      await expect(vision.analyze(request)).resolves.toMatchObject({ model: 'b/model' });
    }
    (vision as unknown as { preferred: number }).preferred = 0;
    const calls = fake.state.calls.length;
    await expect(vision.analyze(request)).resolves.toMatchObject({ model: 'b/model' });
    expect(fake.state.calls.slice(calls).map((c) => c.model)).toEqual(['b/model']);
  });
});

describe('a used-up daily quota', () => {
  it('ends the run cleanly with the rest queued and says when to resume; retry finishes them', async () => {
    const dir = tempDir();
    try {
      const files = copyCorpus(dir, [
        'jpeg/htc-desire-gps.jpg',
        'jpeg/nikon-d5000.jpg',
        'jpeg/olympus-pen-e-p3.jpg',
        'jpeg/fujifilm-finepix2650.jpg',
      ]);
      const data = path.join(dir, 'data');
      fake.push({ type: 'ok' }, { type: 'http', status: 429, message: 'Rate limit exceeded: free-models-per-day' });
      const { summary } = await tagFiles(files, { baseUrl: fake.url, dataDir: data, concurrency: 1 });
      expect(summary.fatal).toBeInstanceOf(QuotaError);
      expect(summary.stopped).toMatch(/quota is used up .*free-models-per-day.*The remaining photos stay queued: run `phototag retry`/);
      expect(summary).toMatchObject({ done: 1, failed: 0, notStarted: 3 });

      const retried = await retryFailed({ baseUrl: fake.url, dataDir: data });
      expect(retried.requeued).toBe(3);
      expect(retried.summary.done).toBe(3);
      for (const file of files) expect(String((await readTags(file))['XMP-dc:Title'])).toMatch(/^Photo/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
