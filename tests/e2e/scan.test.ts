import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpegScanDigest } from '../../src/core/imagehash.js';
import { closeTestExifTool, copyCorpus, readTags, ROOT, SIX_JPEGS, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';

const BIN = path.join(ROOT, 'bin', 'phototag.js');

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI({ latencyMs: 400 });
  dir = tempDir('phototag-e2e-scan-');
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Twelve distinct photos (two copies of six, each with its own trailing bytes) in two folders. */
function library(name: string): { root: string; files: string[]; digests: Map<string, string> } {
  const root = path.join(dir, name);
  const files: string[] = [];
  for (const set of ['a', 'b']) {
    fs.mkdirSync(path.join(root, set), { recursive: true });
    for (const file of copyCorpus(path.join(root, set), SIX_JPEGS)) {
      fs.appendFileSync(file, Buffer.from(`set ${set}`));
      files.push(file);
    }
  }
  return { root, files, digests: new Map(files.map((f) => [f, jpegScanDigest(fs.readFileSync(f))!])) };
}

function scan(
  root: string,
  data: string,
): { child: ChildProcess; output: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(
    process.execPath,
    [BIN, 'scan', '--provider', 'openai', '--base-url', fake.url, '--model', 'fake/vision', '--concurrency', '2', '--json', root],
    {
      env: { PATH: process.env.PATH ?? '', HOME: dir, PHOTOTAG_DATA_DIR: data, PHOTOTAG_API_KEY: 'sk-e2e' },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return { child, output: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))) };
}

const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { file: string; status: string });

describe('crash safety', () => {
  it('after kill -9 mid-scan, a rerun finishes the rest: photos intact, no temp files, no second model call for a done photo', async () => {
    const { root, files, digests } = library('killed');
    const data = path.join(dir, 'killed-data');
    const callsBefore = fake.state.calls.length;
    const first = scan(root, data);
    let seen = '';
    first.child.stdout!.on('data', (d) => (seen += d));
    while (lines(seen).length < 3) await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGKILL');
    const killed = await first.output;
    expect(killed.code).toBe(null);
    const doneFirst = lines(killed.stdout)
      .filter((l) => l.status === 'done')
      .map((l) => l.file);
    const callsFirst = fake.state.calls.length - callsBefore;

    const second = await scan(root, data).output;
    expect(second.code).toBe(0);
    const doneSecond = lines(second.stdout)
      .filter((l) => l.status === 'done')
      .map((l) => l.file);
    expect([...doneFirst, ...doneSecond].sort()).toEqual([...files].sort());
    for (const file of doneFirst) expect(doneSecond).not.toContain(file);
    // Photos analyzed before the kill are not sent again: at most the ones in flight at the kill are.
    const callsSecond = fake.state.calls.length - callsBefore - callsFirst;
    expect(callsFirst + callsSecond).toBeLessThanOrEqual(files.length + 2);
    expect(callsSecond).toBeLessThanOrEqual(files.length - doneFirst.length);
    for (const file of files) {
      expect(jpegScanDigest(fs.readFileSync(file))).toBe(digests.get(file));
      expect(String((await readTags(file))['XMP-dc:Title'])).toMatch(/^Photo \d+x\d+$/);
    }
    const leftovers = fs
      .readdirSync(root, { recursive: true })
      .map(String)
      .filter((f) => f.includes('.phototag-tmp-') || f.endsWith('_exiftool_tmp') || f.endsWith('_original'));
    expect(leftovers).toEqual([]);
  });
});

describe('two scans at once', () => {
  it('analyze each photo exactly once between them', async () => {
    const { root, files } = library('twice');
    const data = path.join(dir, 'twice-data');
    const callsBefore = fake.state.calls.length;
    const [a, b] = await Promise.all([scan(root, data).output, scan(root, data).output]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const done = [...lines(a.stdout), ...lines(b.stdout)].filter((l) => l.status === 'done').map((l) => l.file);
    expect(done.sort()).toEqual([...files].sort());
    expect(fake.state.calls.length - callsBefore).toBe(files.length);
    for (const file of files) expect(String((await readTags(file))['XMP-dc:Title'])).toMatch(/^Photo \d+x\d+$/);
  });
});
