import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, copyCorpus, readTags, tempDirs } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { retryFailed, tagFiles } from '../support/harness.js';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
const workDir = tempDirs();

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterEach(() => {
  fake.state.script.length = 0;
  fake.state.latencyMs = 0;
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
});

const SEVEN = ['harbour', 'boats', 'water', 'sunset', 'coast', 'fishing', 'calm', 'evening'];

describe('the same photo is paid for once', () => {
  it('a copy of a tagged photo in another folder comes from the cache: no new model call', async () => {
    const dir = workDir();
    const data = path.join(dir, 'data');
    for (const folder of ['Paris/2026', 'Tokyo/old']) fs.mkdirSync(path.join(dir, folder), { recursive: true });
    // Tagged into a sidecar, the photo's bytes stay as they were: its copy is the very same content.
    const [photo] = copyCorpus(dir, [['jpeg/nikon-d5000.jpg', 'Paris/2026/dsc_1.jpg']]);
    const first = await tagFiles([photo!], { baseUrl: fake.url, dataDir: data, sidecar: true });
    expect(first.outcomes.get(photo!)).toMatchObject({ status: 'done', cacheHit: false });
    const copy = path.join(dir, 'Tokyo/old/copy.jpg');
    fs.copyFileSync(photo!, copy);

    const calls = fake.state.calls.length;
    const second = await tagFiles([copy], { baseUrl: fake.url, dataDir: data, sidecar: true });
    expect(second.outcomes.get(copy)).toMatchObject({ status: 'done', cacheHit: true, title: 'Photo 858x570' });
    expect((await readTags(path.join(dir, 'Tokyo/old/copy.xmp')))['XMP-dc:Title']).toBe('Photo 858x570');
    expect(fake.state.calls.length).toBe(calls);
  });

  it('two identical photos in one run (concurrency 2) make one model call; the second waits for its answer', async () => {
    const dir = workDir();
    const files = copyCorpus(dir, [
      ['jpeg/fujifilm-finepix2650.jpg', 'one.jpg'],
      ['jpeg/fujifilm-finepix2650.jpg', 'two.jpg'],
    ]);
    fake.state.latencyMs = 500; // both are asked about while the first answer is still out
    const calls = fake.state.calls.length;
    const { summary, outcomes } = await tagFiles(files, { baseUrl: fake.url, dataDir: path.join(dir, 'data'), concurrency: 2 });
    expect(fake.state.calls.length - calls).toBe(1);
    expect(summary).toMatchObject({ done: 2, modelCalls: 1, cacheHits: 1 });
    for (const file of files) {
      expect(outcomes.get(file)?.title).toBe('Photo 1024x768');
      expect((await readTags(file))['XMP-dc:Title']).toBe('Photo 1024x768');
    }
  });
});

describe('a bad answer does not poison a photo', () => {
  it('an answer that could not be used is not cached: retry asks the model again and succeeds', async () => {
    const dir = workDir();
    const data = path.join(dir, 'data');
    const [photo] = copyCorpus(dir, ['jpeg/nikon-d5000.jpg']);
    // Shutterstock needs 7 keywords: the first answer has 2, the next one enough.
    fake.push({ type: 'ok', keywords: ['boat', 'sea'] }, { type: 'ok', keywords: SEVEN });
    const settings = { baseUrl: fake.url, dataDir: data, profile: 'shutterstock' as const };
    const first = await tagFiles([photo!], settings);
    expect(first.outcomes.get(photo!)).toMatchObject({ status: 'failed', errorKind: 'invalid-output' });

    const calls = fake.state.calls.length;
    const retried = await retryFailed(settings);
    expect(retried.outcomes.get(photo!)).toMatchObject({ status: 'done', cacheHit: false });
    expect(fake.state.calls.length).toBe(calls + 1);
    expect((await readTags(photo!))['XMP-dc:Subject']).toEqual(SEVEN);
  });

  it('--force asks the model again instead of writing a cached answer', async () => {
    const dir = workDir();
    const data = path.join(dir, 'data');
    const [photo, copy] = copyCorpus(dir, ['jpeg/nikon-d5000.jpg', ['jpeg/nikon-d5000.jpg', 'copy.jpg']]);
    await tagFiles([photo!], { baseUrl: fake.url, dataDir: data });
    const calls = fake.state.calls.length;
    fake.push({ type: 'ok', title: 'A second opinion' });
    const again = await tagFiles([copy!], { baseUrl: fake.url, dataDir: data, force: true });
    expect(fake.state.calls.length).toBe(calls + 1);
    expect(again.outcomes.get(copy!)).toMatchObject({ status: 'done', cacheHit: false });
    expect((await readTags(copy!))['XMP-dc:Title']).toBe('A second opinion');
  });
});
