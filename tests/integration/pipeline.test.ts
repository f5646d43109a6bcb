import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load.js';
import { openSession } from '../../src/core/session.js';
import { closeTestExifTool, copyCorpus, readTags, SIX_JPEGS, tempDirs } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { retryFailed } from '../support/harness.js';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
const workDir = tempDirs();

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterEach(() => {
  fake.state.script.length = 0;
  fake.state.latencyMs = 0;
  fake.state.calls.length = 0;
  fake.state.maxInFlight = 0;
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
});

/** Distinct photos (distinct content: no cache hit, no shared answer). */
const PHOTOS = SIX_JPEGS;

/** A hold the test lets go of: the fake model answers only then. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function session(dataDir: string, flags: Record<string, unknown>) {
  const { config } = await loadConfig({
    cwd: dataDir,
    env: {},
    flags: { provider: 'openai', baseUrl: fake.url, model: 'fake/vision', rpm: 0, dataDir, ...flags },
  });
  return openSession(config, { dryRun: false, source: 'cli', env: { PHOTOTAG_API_KEY: 'sk-test-secret-123456' } });
}

describe('the pipeline keeps the model slots busy', () => {
  it('reads and decodes the next photos while every model slot is busy, never sending more than --concurrency at once', async () => {
    const dir = workDir();
    const files = copyCorpus(dir, PHOTOS);
    const held = gate();
    fake.state.script.push({ type: 'ok', hold: held.promise }, { type: 'ok', hold: held.promise });
    fake.state.latencyMs = 50;
    const decoded = new Set<string>();
    const tag = await session(path.join(dir, 'data'), { concurrency: 2 });
    let running: Promise<unknown> | undefined;
    try {
      running = tag.run(files, { events: { onTiming: (file, stage) => stage === 'decode' && decoded.add(file) } });
      // Both slots are held by the model; photos behind them are prepared meanwhile, not after.
      await until('both model slots are taken', () => fake.state.calls.length === 2);
      await until('two more photos are decoded while the model thinks', () => decoded.size >= 4);
      expect(fake.state.calls).toHaveLength(2);
      held.open();
      expect(await running).toMatchObject({ done: PHOTOS.length, failed: 0, modelCalls: PHOTOS.length });
    } finally {
      held.open();
      await running?.catch(() => undefined); // a failed wait above must not close the session under the run
      await tag.close();
    }
    expect(fake.state.maxInFlight).toBe(2);
    expect(fake.state.calls).toHaveLength(PHOTOS.length);
    for (const file of files) expect((await readTags(file))['XMP-dc:Title']).toMatch(/^Photo \d+x\d+$/u);
  });

  it('on a stop, photos waiting for a model slot go back to the queue unpaid; a retry tags each exactly once', async () => {
    const dir = workDir();
    const data = path.join(dir, 'data');
    const files = copyCorpus(dir, PHOTOS);
    const held = gate();
    fake.state.script.push({ type: 'ok', hold: held.promise });
    const decoded = new Set<string>();
    const stop = new AbortController();
    const tag = await session(data, { concurrency: 1 });
    let summary;
    let running: Promise<unknown> | undefined;
    try {
      running = tag.run(files, {
        signal: stop.signal,
        events: { onTiming: (file, stage) => stage === 'decode' && decoded.add(file) },
      });
      await until('the first photo is at the model', () => fake.state.calls.length === 1);
      await until('a photo behind it is ready and waiting', () => decoded.size >= 2);
      stop.abort(); // Ctrl-C: the photo at the model finishes, the ones waiting are not sent
      held.open();
      summary = await running;
    } finally {
      held.open();
      await running?.catch(() => undefined);
      await tag.close();
    }
    expect(summary).toMatchObject({ done: 1, failed: 0, modelCalls: 1, notStarted: PHOTOS.length - 1, stopped: 'interrupted' });
    expect(fake.state.calls).toHaveLength(1);
    // Released untried: queued with no attempt used and no error recorded.
    const db = new Database(path.join(data, 'phototag.db'), { readonly: true });
    try {
      const rows = db.prepare(`SELECT status, attempts, error FROM photos WHERE status != 'done'`).all();
      expect(rows).toHaveLength(PHOTOS.length - 1);
      for (const row of rows) expect(row).toEqual({ status: 'queued', attempts: 0, error: null });
    } finally {
      db.close();
    }

    const resumed = await retryFailed({ baseUrl: fake.url, dataDir: data, concurrency: 3 });
    expect(resumed.summary).toMatchObject({ done: PHOTOS.length - 1, failed: 0, modelCalls: PHOTOS.length - 1 });
    expect(fake.state.calls).toHaveLength(PHOTOS.length);
    expect(new Set(fake.state.calls.map((call) => `${call.width}x${call.height}:${call.imageBytes}`)).size).toBe(PHOTOS.length);
  });

  it('a run-ending answer (401) stops the run before its model slot passes on: the photo waiting for it is not sent', async () => {
    const dir = workDir();
    const data = path.join(dir, 'data');
    const files = copyCorpus(dir, PHOTOS);
    const held = gate();
    // The first call is refused; any call after it would be answered (and paid for).
    fake.state.script.push({ type: 'http', status: 401, hold: held.promise });
    const decoded = new Set<string>();
    const tag = await session(data, { concurrency: 1 });
    let summary;
    let running: Promise<unknown> | undefined;
    try {
      running = tag.run(files, { events: { onTiming: (file, stage) => stage === 'decode' && decoded.add(file) } });
      await until('the first photo is at the model', () => fake.state.calls.length === 1);
      await until('a photo behind it is ready and waiting for the slot', () => decoded.size >= 2);
      held.open();
      summary = await running;
    } finally {
      held.open();
      await running?.catch(() => undefined);
      await tag.close();
    }
    expect(summary).toMatchObject({ done: 0, failed: 0, modelCalls: 0, notStarted: PHOTOS.length });
    expect((summary as { stopped?: string }).stopped).toMatch(/refused the API key/u);
    expect(fake.state.calls).toHaveLength(1);
    const db = new Database(path.join(data, 'phototag.db'), { readonly: true });
    try {
      const rows = db.prepare(`SELECT status, attempts FROM photos`).all();
      expect(rows).toHaveLength(PHOTOS.length);
      for (const row of rows) expect(row).toEqual({ status: 'queued', attempts: 0 });
    } finally {
      db.close();
    }
  });

  it('keeps the --rpm limit with photos prepared ahead: calls start at least 60/rpm seconds apart', async () => {
    const dir = workDir();
    const files = copyCorpus(dir, PHOTOS.slice(0, 4));
    const tag = await session(path.join(dir, 'data'), { concurrency: 4, rpm: 120 });
    try {
      expect(await tag.run(files)).toMatchObject({ done: 4, failed: 0 });
    } finally {
      await tag.close();
    }
    const starts = fake.state.calls.map((call) => call.at);
    // 120 a minute: one call every 500 ms (a little slack for the loopback's own delays).
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(400);
  });
});
