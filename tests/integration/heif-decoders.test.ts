// HEIC through the system's libheif decoder (heif-dec / heif-convert) where there is one, the WebAssembly
// libheif otherwise (issue 13). Both must give the model the same picture: same size, same way up, near-identical
// pixels. The native decoder's temp files live in a private folder that is removed whatever happens.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { findNativeHeifDecoder, withNativeHeifDecode } from '../../src/core/decoders/heif-native.js';
import { shrinkHeifWith } from '../../src/core/prepare.js';
import { CORPUS, ROOT, tempDirs } from '../support/corpus.js';
import { childrenOf } from '../support/processes.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';

const native = findNativeHeifDecoder();
const HEIC = [
  'heic/apple-iphone7-gps.heic',
  'heic/apple-iphone7plus-orientation6-gps.heic',
  'heic/apple-iphone11pro-exif-at-eof-gps.heic',
  'heic/sony-ilce7cm2-10bit.hif',
];
const options = { maxEdge: 512, quality: 90 };
const dirs = tempDirs('phototag-heif-test-');

/** Mean absolute difference (0–255) of two JPEGs, both shrunk to 64×64 grey: a perceptual distance. */
async function distance(a: Buffer, b: Buffer): Promise<number> {
  const grey = (jpeg: Buffer) => sharp(jpeg).resize(64, 64, { fit: 'fill' }).greyscale().raw().toBuffer();
  const [x, y] = await Promise.all([grey(a), grey(b)]);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.abs(x[i]! - y[i]!);
  return sum / x.length;
}

const savedTmp = process.env.TMPDIR;
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
});

describe.skipIf(!native)('the native HEIC decoder', () => {
  it.each(HEIC)('gives %s the same size, orientation and (nearly) the same pixels as the WebAssembly decoder', async (name) => {
    const file = path.join(CORPUS, name);
    const fromNative = await shrinkHeifWith('native', file, options);
    const fromWasm = await shrinkHeifWith('wasm', file, options);
    expect([fromNative.width, fromNative.height]).toEqual([fromWasm.width, fromWasm.height]);
    // A rotated or mirrored picture differs by tens of levels; JPEG noise by about one.
    expect(await distance(fromNative.jpeg, fromWasm.jpeg)).toBeLessThan(3);
  });

  it('leaves no temp file after a decode, a failed decode or a timeout', async () => {
    const tmp = dirs();
    const hanging = path.join(dirs(), 'heif-dec');
    process.env.TMPDIR = tmp;
    await withNativeHeifDecode(native!, path.join(CORPUS, 'heic/apple-iphone7-gps.heic'), async (jpeg) => {
      expect(path.dirname(jpeg).startsWith(tmp)).toBe(true);
      expect(fs.statSync(path.dirname(jpeg)).mode & 0o077).toBe(0); // private to phototag's user
    });
    expect(fs.readdirSync(tmp)).toEqual([]);
    await expect(
      withNativeHeifDecode(native!, path.join(CORPUS, 'broken/heic-corrupt-exif-invalid-gps.heic'), async () => 1),
    ).rejects.toThrow(/cannot decode HEIF image/u);
    expect(fs.readdirSync(tmp)).toEqual([]);
    // A decoder that writes part of its output and hangs is stopped, and its output removed.
    fs.writeFileSync(hanging, '#!/bin/sh\nfor last; do :; done\necho partial > "$last"\nexec sleep 30\n', { mode: 0o755 });
    await expect(withNativeHeifDecode(hanging, path.join(CORPUS, 'heic/apple-iphone7-gps.heic'), async () => 1, 300)).rejects.toThrow(
      /the decoder was stopped/u,
    );
    expect(fs.readdirSync(tmp)).toEqual([]);
    // The caller's own failure cleans up too.
    await expect(
      withNativeHeifDecode(native!, path.join(CORPUS, 'heic/apple-iphone7-gps.heic'), () => Promise.reject(new Error('later step'))),
    ).rejects.toThrow('later step');
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});

describe.skipIf(!native)('after a phototag killed mid-decode (kill -9)', () => {
  it('the next decode removes the decoded copy it left in the temp folder, and nothing younger or not its own', async () => {
    const tmp = dirs();
    process.env.TMPDIR = tmp;
    const hourAgo = new Date(Date.now() - 3_600_000);
    const stale = path.join(tmp, 'phototag-heif-Stale1');
    fs.mkdirSync(stale);
    fs.writeFileSync(path.join(stale, 'decoded.jpg'), 'a decoded copy of a photo');
    fs.utimesSync(stale, hourAgo, hourAgo);
    fs.mkdirSync(path.join(tmp, 'phototag-heif-Fresh1')); // a decode in progress in another phototag
    fs.mkdirSync(path.join(tmp, 'someone-else'));
    fs.utimesSync(path.join(tmp, 'someone-else'), hourAgo, hourAgo);
    await withNativeHeifDecode(native!, path.join(CORPUS, 'heic/apple-iphone7-gps.heic'), async () => 1);
    expect(fs.readdirSync(tmp).sort()).toEqual(['phototag-heif-Fresh1', 'someone-else']);
  });
});

describe('without a native HEIC decoder', () => {
  it('finds none on a PATH that has none', () => {
    expect(findNativeHeifDecoder(dirs())).toBeUndefined();
    expect(findNativeHeifDecoder('')).toBeUndefined();
  });

  let fake: Awaited<ReturnType<typeof startFakeOpenAI>> | undefined;
  afterAll(async () => {
    await fake?.close();
  });

  it('tags a HEIC with the WebAssembly decoder (phototag run with a PATH that has no heif-dec or heif-convert)', async () => {
    fake = await startFakeOpenAI();
    const dir = dirs();
    const photo = path.join(dir, 'IMG_0001.HEIC');
    fs.copyFileSync(path.join(CORPUS, 'heic/apple-iphone7plus-orientation6-gps.heic'), photo);
    fs.chmodSync(photo, 0o644);
    const emptyPath = dirs();
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          path.join(ROOT, 'bin/phototag.js'),
          'tag',
          '--provider',
          'openai',
          '--base-url',
          fake!.url,
          '--model',
          'fake/vision',
          '--rpm',
          '0',
          '--json',
          photo,
        ],
        { env: { PATH: emptyPath, HOME: dir, PHOTOTAG_DATA_DIR: path.join(dir, '.data'), PHOTOTAG_API_KEY: 'x' } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    const outcome = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { status: string };
    expect(outcome.status, result.stderr).toBe('done');
    // Upright: the portrait photo (Rotate 90 CW) reached the model taller than wide, as with the native decoder.
    const call = fake.state.calls.at(-1)!;
    expect(call.height!).toBeGreaterThan(call.width!);
  });
});

describe('HEIC decodes in flight', () => {
  it('runs at most two decoder processes at a time however many photos are decoded at once (each is a 60 MB process)', async () => {
    const dir = dirs();
    const log = path.join(dir, 'decoder.log');
    const decoder = path.join(dir, 'heif-dec');
    // A stand-in decoder that says when it starts and ends and writes a real JPEG where it was asked to.
    const jpeg = path.join(CORPUS, 'jpeg/nikon-d5000.jpg');
    fs.writeFileSync(
      decoder,
      `#!/bin/sh\necho start >> '${log}'\nfor last; do :; done\nsleep 0.2\ncp '${jpeg}' "$last"\necho end >> '${log}'\n`,
      { mode: 0o755 },
    );
    const photos = Array.from({ length: 6 }, () => shrinkHeifWith('native', path.join(CORPUS, HEIC[0]!), options, decoder));
    const shrunk = await Promise.all(photos);
    expect(shrunk.map((image) => image.width)).toEqual([512, 512, 512, 512, 512, 512]);
    let running = 0;
    let most = 0;
    for (const line of fs.readFileSync(log, 'utf8').trim().split('\n')) {
      running += line === 'start' ? 1 : -1;
      most = Math.max(most, running);
    }
    expect(most).toBe(Math.min(2, os.availableParallelism()));
  });

  it('runs one WebAssembly decoder at a time (each peaks at about 350 MB)', async () => {
    const children = () => childrenOf(process.pid).filter((child) => child.cmd.includes('heic-decode')).length;
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, children())), 5);
    try {
      const shrunk = await Promise.all(Array.from({ length: 3 }, () => shrinkHeifWith('wasm', path.join(CORPUS, HEIC[0]!), options)));
      expect(shrunk.map((image) => image.width)).toEqual([512, 512, 512]);
    } finally {
      clearInterval(watch);
    }
    expect(most).toBe(1);
  });
});
