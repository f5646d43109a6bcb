import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, copyCorpus, readTags, sha256, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { retryFailed, scanFolders } from '../support/harness.js';
import { walkPhotos } from '../../src/core/walk.js';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterEach(() => {
  fake.state.script.length = 0;
  fake.state.fallback = { type: 'ok' };
  fs.rmSync(dir, { recursive: true, force: true });
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
});

/** A library tree: nested and hidden folders, NAS thumbnails, sidecars, junk, broken files and a link loop. */
function library(): { root: string; photos: string[] } {
  dir = tempDir();
  const root = path.join(dir, 'Pictures');
  for (const sub of ['2026/trip/day 1', '2026/.thumbnails', '2025/@eaDir', '2025/#recycle', 'other'])
    fs.mkdirSync(path.join(root, sub), { recursive: true });
  const photos = copyCorpus(root, [
    ['jpeg/htc-desire-gps.jpg', '2026/htc.jpg'],
    ['jpeg/nikon-d5000.jpg', '2026/trip/nikon.JPG'],
    ['jpeg/olympus-pen-e-p3.jpg', '2026/trip/day 1/olympus.jpeg'],
    ['png/hopper-no-exif-xmp.png', '2025/hopper.png'],
    ['raw/canon-eos-r6-gps-with-preview.cr3', 'other/r6.CR3'],
    ['other/usnavy-reagan-exif-xmp.jxl', 'other/reagan.jxl'],
  ]);
  // The JPEG XL as it leaves a camera app: no title, description or keywords yet.
  const exiftool = path.join(path.dirname(createRequire(import.meta.url).resolve('exiftool-vendored.pl/package.json')), 'bin', 'exiftool');
  execFileSync(exiftool, ['-q', '-overwrite_original', '-all=', photos.at(-1)!]);
  copyCorpus(root, [
    ['jpeg/fujifilm-finepix2650.jpg', '2026/.thumbnails/hidden.jpg'],
    ['jpeg/fujifilm-finepix2650.jpg', '2025/@eaDir/SYNOPHOTO_THUMB_XL.jpg'],
    ['jpeg/fujifilm-finepix2650.jpg', '2025/#recycle/deleted.jpg'],
    ['jpeg/fujifilm-finepix2650.jpg', '2026/.hidden-photo.jpg'],
    ['jpeg/fujifilm-finepix2650.jpg', '2026/htc.jpg_original'],
    ['with-metadata/canon-eos600d-squirrel-with-sidecar.xmp', '2026/htc.xmp'],
  ]);
  fs.writeFileSync(path.join(root, 'other', 'notes.txt'), 'not a photo');
  fs.symlinkSync(root, path.join(root, 'other', 'loop'));
  return { root, photos };
}

describe('phototag scan', () => {
  it('walks a library: tags the photos, leaves hidden, NAS, recycled, backup and sidecar files alone, survives a link loop', async () => {
    const { root, photos } = library();
    const broken = copyCorpus(root, [['broken/truncated-jpeg-100x100.jpg', '2025/broken.jpg']])[0]!;
    const sidecar = path.join(root, '2026/htc.xmp');
    const sidecarHash = sha256(sidecar);
    const { summary, outcomes } = await scanFolders([root], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect([...outcomes.keys()].sort()).toEqual([...photos, broken].sort());
    expect(summary).toMatchObject({ found: 7, done: 6, failed: 1 });
    expect(outcomes.get(broken)?.reason).toContain('premature end of JPEG image');
    for (const photo of photos.filter((p) => !p.endsWith('.CR3')))
      expect(String((await readTags(photo))['XMP-dc:Title'])).toMatch(/^Photo \d+x\d+$/);
    expect(fs.existsSync(path.join(root, 'other', 'r6.xmp'))).toBe(true);
    expect((await readTags(path.join(root, '2026/.thumbnails/hidden.jpg')))['XMP-dc:Title']).toBeUndefined();
    // A JPEG is written in the file; a sidecar that happens to share its name is not touched.
    expect(sha256(sidecar)).toBe(sidecarHash);
  });

  it('applies --include, --exclude and --max-depth', async () => {
    const { root } = library();
    const found = async (options: Parameters<typeof walkPhotos>[1]) => {
      const files: string[] = [];
      for await (const file of walkPhotos([root], options)) files.push(path.relative(root, file));
      return files.sort();
    };
    expect(await found({})).toEqual([
      '2025/hopper.png',
      '2026/htc.jpg',
      '2026/trip/day 1/olympus.jpeg',
      '2026/trip/nikon.JPG',
      'other/r6.CR3',
      'other/reagan.jxl',
    ]);
    expect(await found({ include: ['*.jpg', '*.JPG'] })).toEqual(['2026/htc.jpg', '2026/trip/nikon.JPG']);
    expect(await found({ exclude: ['2026/trip/**'] })).toEqual(['2025/hopper.png', '2026/htc.jpg', 'other/r6.CR3', 'other/reagan.jxl']);
    expect(await found({ exclude: ['trip'] })).toEqual(['2025/hopper.png', '2026/htc.jpg', 'other/r6.CR3', 'other/reagan.jxl']);
    expect(await found({ maxDepth: 1 })).toEqual(['2025/hopper.png', '2026/htc.jpg', 'other/r6.CR3', 'other/reagan.jxl']);
    expect(await found({ maxDepth: 0 })).toEqual([]);
  });

  it('a rescan of a done library reads nothing: no model call, no write, failed photos left for retry', async () => {
    const { root, photos } = library();
    copyCorpus(root, [['broken/truncated-jpeg-100x100.jpg', '2025/broken.jpg']]);
    const data = path.join(dir, 'data');
    await scanFolders([root], { baseUrl: fake.url, dataDir: data });
    const calls = fake.state.calls.length;
    const mtimes = photos.map((p) => fs.statSync(p).mtimeMs);
    const again = await scanFolders([root], { baseUrl: fake.url, dataDir: data });
    expect(again.summary).toMatchObject({ found: 7, done: 0, skipped: 7, failed: 0 });
    expect(fake.state.calls.length).toBe(calls);
    expect(photos.map((p) => fs.statSync(p).mtimeMs)).toEqual(mtimes);
  });
});

describe('leftovers of a killed run', () => {
  it('removes temp files of a phototag process that is gone, and keeps those of a live one', async () => {
    const { root } = library();
    const folder = path.join(root, '2026');
    const stray = path.join(folder, '.phototag-tmp-4194300-deadbeef-htc.jpg'); // no such pid (above pid_max's default)
    const live = path.join(folder, `.phototag-tmp-${process.pid}-cafe-htc.jpg`);
    fs.writeFileSync(stray, 'half-written');
    fs.writeFileSync(live, 'being written');
    await scanFolders([root], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(fs.existsSync(stray)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
  });
});

describe('a flaky model server', () => {
  it('every photo ends done or failed with a reason, and retry completes the transient failures', async () => {
    dir = tempDir();
    const names = [
      'htc-desire-gps.jpg',
      'nikon-d5000.jpg',
      'olympus-pen-e-p3.jpg',
      'fujifilm-finepix2650.jpg',
      'sony-dsc-hx5v-gps.jpg',
      'panasonic-dmc-lc70.jpg',
      'pentax-ist-d-makernote-preview.jpg',
      'canon-powershot-a85-orientation8.jpg',
    ];
    const files: string[] = [];
    for (let copy = 0; copy < 3; copy++) {
      fs.mkdirSync(path.join(dir, `set${copy}`));
      files.push(
        ...copyCorpus(
          path.join(dir, `set${copy}`),
          names.map((n) => `jpeg/${n}`),
        ),
      );
      // Distinct content per copy, so no photo is a cache hit of another.
      for (const file of files.slice(-names.length)) fs.appendFileSync(file, Buffer.from(`copy ${copy}`));
    }
    const hashes = new Map(await Promise.all(files.map(async (f) => [f, (await readTags(f))['File:ImageDataHash']] as const)));
    // About 30% of calls fail: 429 with Retry-After, 500, 200-with-error, or no answer at all (timeout).
    const faults = [
      { type: 'http', status: 429, retryAfter: '0' },
      { type: 'http', status: 500 },
      { type: 'error-200', code: 503 },
      { type: 'hang' },
    ] as const;
    let seed = 7;
    let faulted = 0;
    fake.state.fallback = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      if (seed % 10 >= 3) return { type: 'ok' };
      faulted++;
      return faults[seed % faults.length]!;
    };
    const data = path.join(dir, 'data');
    const settings = { baseUrl: fake.url, dataDir: data, concurrency: 4, maxAttempts: 2, timeoutSeconds: 1 };
    const first = await scanFolders([dir], settings);
    expect(first.summary.done + first.summary.failed).toBe(files.length);
    expect(faulted).toBeGreaterThan(files.length / 5);
    expect(first.summary.failed).toBeGreaterThan(0);
    for (const outcome of first.outcomes.values()) {
      if (outcome.status === 'failed') {
        expect(outcome.errorKind).toBe('transient');
        expect(outcome.reason).toMatch(/HTTP 429|HTTP 500|error in a 200 answer|did not answer in time/);
      }
    }

    fake.state.fallback = { type: 'ok' };
    const retried = await retryFailed(settings);
    expect(retried.requeued).toBe(first.summary.failed);
    expect(retried.summary.done).toBe(first.summary.failed);
    for (const file of files) {
      const tags = await readTags(file);
      expect(String(tags['XMP-dc:Title'])).toMatch(/^Photo \d+x\d+$/);
      expect(tags['File:ImageDataHash']).toBe(hashes.get(file));
    }
  });
});
