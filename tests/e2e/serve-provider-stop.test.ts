import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyCorpus, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { startServe } from '../support/serve.js';

// A provider answer that ends a run (key refused, no credit, used-up daily quota) ends the daemon's workers too.
// The daemon then tags nothing more: it must say so, not log nothing and report itself busy and ready.

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI({ fallback: { type: 'http', status: 402, message: 'Insufficient credits' } });
  dir = tempDir('phototag-serve-stop-');
});
afterAll(async () => {
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('phototag serve when the provider ends the run', () => {
  it('logs that the workers stopped, fails /readyz, and lists no photo as in progress', async () => {
    const watch = path.join(dir, 'in');
    fs.mkdirSync(watch);
    // More photos than model slots: some are read ahead and wait for the slot when the 402 comes.
    copyCorpus(watch, ['jpeg/htc-desire-gps.jpg', 'jpeg/nikon-d5000.jpg', 'jpeg/olympus-pen-e-p3.jpg', 'jpeg/fujifilm-finepix2650.jpg']);
    const served = await startServe(
      ['--watch', watch, '--concurrency', '1', '--provider', 'openai', '--base-url', fake.url, '--model', 'fake/vision', '--rpm', '0'],
      { HOME: dir, PHOTOTAG_DATA_DIR: path.join(dir, 'data'), PHOTOTAG_API_KEY: 'sk-serve-test' },
    );
    try {
      await served.waitFor((logs) => logs.some((l) => l.level === 'error' && String(l.msg).startsWith('the workers stopped')), 20_000);
      expect(fake.state.calls).toHaveLength(1);
      const ready = await fetch(new URL('/readyz', served.url));
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: Record<string, string> }).checks.workers).toMatch(/stopped: .*no credit/u);
      // The photos read ahead go back to the queue as the run winds down: none stays "in progress".
      const inProgress = async () =>
        ((await (await fetch(new URL('/api/status', served.url))).json()) as { inProgress: unknown[] }).inProgress;
      for (let tries = 0; (await inProgress()).length > 0 && tries < 200; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await inProgress()).toEqual([]);
    } finally {
      served.child.kill('SIGTERM');
      await served.exit;
    }
  });
});
