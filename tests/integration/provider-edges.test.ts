import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, copyCorpus, sha256, tempDir } from '../support/corpus.js';
import { freePort, startFakeOpenAI } from '../support/fake-openai.mjs';
import { retryFailed, scanFolders, tagFiles } from '../support/harness.js';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterEach(() => {
  fake.state.script.length = 0;
  fs.rmSync(dir, { recursive: true, force: true });
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
});

function photos(count = 1): string[] {
  dir = tempDir();
  return copyCorpus(dir, ['jpeg/olympus-pen-e-p3.jpg', 'jpeg/htc-desire-gps.jpg'].slice(0, count));
}

describe('an unreachable provider', () => {
  it('keeps the photos of `tag` queued and stops the run; `retry` tags them once the provider is back', async () => {
    const files = photos(2);
    const hashes = files.map(sha256);
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}/v1`;
    const data = path.join(dir, 'data');
    const { summary, outcomes } = await tagFiles(files, { baseUrl, dataDir: data });
    expect(summary.stopped).toMatch(/Cannot reach the provider at .*ECONNREFUSED.*stay queued/);
    expect(summary.failed).toBe(0);
    expect(summary.notStarted).toBe(2);
    expect([...outcomes.values()].filter((o) => o.status === 'failed')).toEqual([]);
    expect(files.map(sha256)).toEqual(hashes);

    const back = await startFakeOpenAI({ port });
    try {
      const retried = await retryFailed({ baseUrl, dataDir: data });
      expect(retried.summary.done).toBe(2);
    } finally {
      await back.close();
    }
  });

  it('keeps the photos of `scan` queued too', async () => {
    photos(2);
    const port = await freePort();
    const { summary } = await scanFolders([dir], { baseUrl: `http://127.0.0.1:${port}/v1`, dataDir: path.join(dir, 'data') });
    expect(summary.failed).toBe(0);
    expect(summary.notStarted).toBe(2);
    expect(summary.stopped).toMatch(/Cannot reach the provider/);
  });
});

describe('a provider that misbehaves mid-answer', () => {
  it('times out a server that sends the headers and then stalls, body included', async () => {
    const [file] = photos();
    fake.push({ type: 'stall' }, { type: 'stall' });
    const { outcomes } = await tagFiles([file!], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), timeoutSeconds: 1, maxAttempts: 2 });
    expect(outcomes.get(file!)).toMatchObject({
      status: 'failed',
      errorKind: 'transient',
      reason: 'fake/vision: the model did not answer in time',
    });
  }, 30_000);

  it('treats a connection reset in the middle of the body as transient', async () => {
    const [file] = photos();
    fake.push({ type: 'reset' });
    const { outcomes } = await tagFiles([file!], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), maxAttempts: 1 });
    expect(outcomes.get(file!)?.status).toBe('done');
  });

  it('stops reading an answer larger than 4 MB and uses none of it', async () => {
    const [file] = photos();
    const hash = sha256(file!);
    fake.push({ type: 'huge', megabytes: 40 });
    const { outcomes } = await tagFiles([file!], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), maxAttempts: 1 });
    expect(outcomes.get(file!)).toMatchObject({ status: 'failed', errorKind: 'invalid-output' });
    expect(outcomes.get(file!)?.reason).toMatch(/larger than 4096 KB/);
    expect(sha256(file!)).toBe(hash);
  });
});
