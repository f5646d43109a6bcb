// Issue 15, defect 8: database faults end in one line saying what happened and what to do, exit 1 — never a
// stack trace; `stats` works on a read-only database.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copyCorpus, ROOT, sha256, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';

const BIN = path.join(ROOT, 'bin', 'phototag.js');
type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;
const mounts: string[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterEach(() => {
  for (const mount of mounts.splice(0)) spawnSync('umount', ['-l', mount]);
  fs.rmSync(dir, { recursive: true, force: true });
});
afterAll(async () => {
  await fake.close();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function phototag(args: string[], data: string, onStdout?: (text: string) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, PHOTOTAG_DATA_DIR: data, PHOTOTAG_API_KEY: 'sk-test' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      onStdout?.(String(d));
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const tag = (files: string[], data: string, onStdout?: (text: string) => void) =>
  phototag(
    ['tag', '--provider', 'openai', '--base-url', fake.url, '--model', 'fake/vision', '--concurrency', '1', ...files],
    data,
    onStdout,
  );

/** One line on stderr, no stack trace, exit 1. */
function expectOneLine(run: Run, pattern: RegExp): void {
  expect(run.code).toBe(1);
  expect(run.stderr).not.toMatch(/^\s+at /mu);
  expect(run.stderr).not.toMatch(/unexpected error|SqliteError/u);
  const lines = run.stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('phototag: '));
  expect(lines.filter((l) => pattern.test(l))).toHaveLength(1);
}

/** A tmpfs of `size` at `where`, or undefined where mounting is not allowed (not root). */
function tmpfs(where: string, size: string): string | undefined {
  fs.mkdirSync(where, { recursive: true });
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', where]).status !== 0) return undefined;
  mounts.push(where);
  return where;
}

describe('database faults', () => {
  it('a garbage database file: one line naming backup restore, exit 1, the photo untouched', async () => {
    dir = tempDir();
    const data = path.join(dir, 'data');
    fs.mkdirSync(data);
    fs.writeFileSync(path.join(data, 'phototag.db'), 'this is not a database at all\n'.repeat(200));
    const [photo] = copyCorpus(dir, ['jpeg/nikon-d5000.jpg']);
    const digest = sha256(photo!);
    const calls = fake.state.calls.length;
    const run = await tag([photo!], data);
    expectOneLine(run, /damaged.*phototag backup restore/u);
    expect(sha256(photo!)).toBe(digest);
    expect(fake.state.calls.length).toBe(calls);
  });

  it('a truncated database: one line, exit 1, for tag and for stats', async () => {
    dir = tempDir();
    const data = path.join(dir, 'data');
    const [photo] = copyCorpus(dir, ['jpeg/nikon-d5000.jpg']);
    expect((await tag([photo!], data)).code).toBe(0);
    const db = new Database(path.join(data, 'phototag.db'));
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const file = path.join(data, 'phototag.db');
    fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
    expectOneLine(await phototag(['stats'], data), /damaged/u);
    expectOneLine(await tag([photo!], data), /damaged/u);
  });

  it('a locked database: one line saying so, exit 1', async () => {
    dir = tempDir();
    const data = path.join(dir, 'data');
    const [photo] = copyCorpus(dir, ['jpeg/nikon-d5000.jpg']);
    expect((await phototag(['stats'], data)).code).toBe(0); // creates it
    const holder = new Database(path.join(data, 'phototag.db'));
    holder.exec('BEGIN EXCLUSIVE');
    try {
      expectOneLine(await tag([photo!], data), /locked by another program/u); // after the 10 s busy timeout
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  }, 40_000);

  it('a read-only data folder: tag says so in one line; stats still works', async (context) => {
    dir = tempDir();
    const data = tmpfs(path.join(dir, 'data'), '8m');
    if (!data) return context.skip();
    const [photo, other] = copyCorpus(dir, ['jpeg/nikon-d5000.jpg', 'jpeg/olympus-pen-e-p3.jpg']);
    expect((await tag([photo!], data)).code).toBe(0);
    expect(spawnSync('mount', ['-o', 'remount,ro', data]).status).toBe(0);
    expectOneLine(await tag([other!], data), /read-only/u);
    const stats = await phototag(['stats', '--json'], data);
    expect(stats.stderr).toBe('');
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ totals: { done: 1 } });
  });

  it('a full disk at start: one line saying to free space, exit 1', async (context) => {
    dir = tempDir();
    const data = tmpfs(path.join(dir, 'data'), '64k');
    if (!data) return context.skip();
    spawnSync('dd', ['if=/dev/zero', `of=${path.join(data, 'filler')}`, 'bs=4k'], { stdio: 'ignore' }); // until the disk is full
    const [photo] = copyCorpus(dir, ['jpeg/nikon-d5000.jpg']);
    expectOneLine(await tag([photo!], data), /is full\. Free some space/u);
  });

  it('a disk that fills up mid-run: one line saying to free space, exit 1, photos whole', async (context) => {
    dir = tempDir();
    const data = tmpfs(path.join(dir, 'data'), '2m');
    if (!data) return context.skip();
    const photos = copyCorpus(dir, [
      'jpeg/nikon-d5000.jpg',
      'jpeg/olympus-pen-e-p3.jpg',
      'jpeg/htc-desire-gps.jpg',
      'jpeg/fujifilm-finepix2650.jpg',
    ]);
    let filled = false;
    const run = await tag(photos, data, () => {
      // After the first photo is done, fill the disk the database lives on.
      if (filled) return;
      filled = true;
      spawnSync('dd', ['if=/dev/zero', `of=${path.join(data, 'filler')}`, 'bs=4k'], { stdio: 'ignore' });
    });
    expect(filled).toBe(true);
    expectOneLine(run, /is full\. Free some space/u);
    for (const photo of photos) expect(spawnSync('exiv2', ['-q', 'pr', photo]).status).toBe(0); // every photo still reads
  });
});
