import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, copyCorpus, tempDirs } from '../support/corpus.js';
import { runCli, type CliRun as Run } from '../support/cli-run.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';

// Failed photos a cron user must hear about, what `retry` retries, and what failed photos cost (built CLI, pipes).
const KEY = 'sk-or-v1-failures-secret-abcdef';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
const newDir = tempDirs('phototag-failures-');

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
});

const phototag = (args: string[], work: string): Promise<Run> => runCli(args, { cwd: work, dataDir: path.join(work, 'data'), key: KEY });

const provider = (model = 'fake/vision') => ['--provider', 'openrouter', '--base-url', fake.url, '--model', model, '--rpm', '0'];

describe('failed photos are not forgotten', () => {
  it('a rescan says how many photos still fail and where to look', async () => {
    const work = newDir();
    fs.mkdirSync(path.join(work, 'photos'));
    copyCorpus(path.join(work, 'photos'), ['jpeg/nikon-d5000.jpg', 'broken/truncated-jpeg-100x100.jpg']);
    const first = await phototag(['scan', ...provider(), 'photos'], work);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('1 failed: `phototag retry --list` shows why');
    const again = await phototag(['scan', ...provider(), 'photos'], work);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^0 done, 2 skipped, 0 failed of 2 found/mu);
    expect(again.stdout).toContain('1 still failing: `phototag retry --list`');
  });

  it('retry without a filter retries transient failures only; --kind and --all reach the permanent ones', async () => {
    const work = newDir();
    copyCorpus(work, ['broken/truncated-jpeg-100x100.jpg', 'jpeg/nikon-d5000.jpg']);
    await phototag(['tag', ...provider(), 'truncated-jpeg-100x100.jpg'], work);
    fake.push({ type: 'http', status: 500 });
    expect((await phototag(['tag', ...provider(), '--max-attempts', '1', 'nikon-d5000.jpg'], work)).code).toBe(1);

    const retried = await phototag(['retry', ...provider()], work);
    expect(retried.code).toBe(0);
    expect(retried.stderr).toContain('retrying 1 photo; 1 permanent failure (corrupt) left alone, `phototag retry --all` tries them too');
    expect(retried.stdout).toContain('✓ nikon-d5000.jpg: tagged "Photo 858x570"');
    expect(retried.stdout).not.toContain('truncated-jpeg-100x100.jpg');

    const nothing = await phototag(['retry', ...provider()], work);
    expect(nothing.code).toBe(0);
    expect(nothing.stderr).toContain('nothing to retry: 1 permanent failure (corrupt) left alone, `phototag retry --all` tries them too');

    const unknown = await phototag(['retry', '--kind', 'broken'], work);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe(
      'phototag: --kind takes one of transient, provider, invalid-output, write-failed, verify-failed, changed, missing, unsupported, corrupt, unreadable, read-only, no-preview; got "broken" (string)',
    );

    const byKind = await phototag(['retry', ...provider(), '--kind', 'corrupt'], work);
    expect(byKind.stderr).toContain('retrying 1 photo');
    expect(byKind.stderr).toContain('✗ truncated-jpeg-100x100.jpg: cannot decode image');
    const all = await phototag(['retry', ...provider(), '--all'], work);
    expect(all.stderr).toContain('retrying 1 photo');
    expect(all.code).toBe(1);
  });
});

describe('what failed photos cost', () => {
  it('counts a paid answer the profile refused in the JSON line, the summary and its $', async () => {
    const work = newDir();
    copyCorpus(work, ['jpeg/nikon-d5000.jpg']);
    fake.push({ type: 'ok', keywords: ['one', 'two', 'three'] });
    const run = await phototag(['tag', ...provider('paid/vision-pro'), '--json', '--profile', 'shutterstock', 'nikon-d5000.jpg'], work);
    expect(run.code).toBe(1);
    const line = JSON.parse(run.stdout.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ status: 'failed', errorKind: 'invalid-output', model: 'paid/vision-pro', tokens: 920 });
    expect(line.cost).toBeCloseTo(800 * 0.000002 + 120 * 0.000008, 8);
    expect(run.stderr).toMatch(/0 done, 0 skipped, 1 failed of 1 found in [\d.]+ s · 1 analyzed, 0 from cache · 920 tokens · \$0\.0026/u);
  });

  it('counts both calls of an answer still invalid after the repair request', async () => {
    const work = newDir();
    copyCorpus(work, ['jpeg/nikon-d5000.jpg']);
    fake.push({ type: 'invalid' }, { type: 'invalid' });
    const run = await phototag(['tag', ...provider('paid/vision-pro'), '--json', 'nikon-d5000.jpg'], work);
    expect(run.code).toBe(1);
    const line = JSON.parse(run.stdout.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ status: 'failed', errorKind: 'invalid-output', tokens: 1840 });
    expect(run.stderr).toMatch(/1 analyzed, 0 from cache · 1840 tokens · \$0\.0051/u);
  });

  it('apply calls no model: "0 analyzed"', async () => {
    const work = newDir();
    copyCorpus(work, ['jpeg/nikon-d5000.jpg']);
    const dry = await phototag(['tag', ...provider(), '--dry-run', '--export', 'review.csv', 'nikon-d5000.jpg'], work);
    expect(dry.code).toBe(0);
    const applied = await phototag(['apply', 'review.csv'], work);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(
      /^1 done, 0 skipped, 0 failed of 1 found in [\d.]+ s · 0 analyzed, 0 from cache · 0 tokens · \$0\.0000$/mu,
    );
  });
});
