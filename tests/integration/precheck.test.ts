// Issue 15, defect 7: everything that would make a write fail is found before the model is paid to answer.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, copyCorpus, list, readTags, sha256, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { tagFiles } from '../support/harness.js';
import { gifBlocksDigest } from '../../src/core/imagehash.js';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;
const cleanups: (() => void)[] = [];
const JPEG = 'jpeg/nikon-d5000.jpg';

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
});

/** Tag `files`; the model calls it cost and each photo's outcome. */
async function tagCounting(files: string[], extra: Record<string, unknown> = {}) {
  const before = fake.state.calls.length;
  const run = await tagFiles(files, { baseUrl: fake.url, dataDir: path.join(dir, 'data'), ...extra });
  return { ...run, calls: fake.state.calls.length - before };
}

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;

describe('pay, then fail: found before the model call', () => {
  it('an immutable photo (chattr +i) fails with a reason and no model call', async (context) => {
    dir = tempDir();
    const [photo] = copyCorpus(dir, [[JPEG, 'immutable.jpg']]);
    if (!run('chattr', ['+i', photo!])) return context.skip(); // no chattr, or a file system without the flag
    cleanups.push(() => run('chattr', ['-i', photo!]));
    const digest = sha256(photo!);
    const { outcomes, calls } = await tagCounting([photo!]);
    expect(calls).toBe(0);
    expect(outcomes.get(photo!)).toMatchObject({ status: 'failed', errorKind: 'read-only' });
    expect(outcomes.get(photo!)!.reason).toMatch(/immutable/u);
    expect(sha256(photo!)).toBe(digest);
  });

  it('a read-only file system fails with a reason and no model call', async (context) => {
    dir = tempDir();
    const mount = path.join(dir, 'ro');
    fs.mkdirSync(mount);
    if (!run('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount])) return context.skip(); // not root / no mount
    cleanups.push(() => run('umount', ['-l', mount]));
    const [photo] = copyCorpus(mount, [[JPEG, 'photo.jpg']]);
    expect(run('mount', ['-o', 'remount,ro', mount])).toBe(true);
    const { outcomes, calls } = await tagCounting([photo!]);
    expect(calls).toBe(0);
    expect(outcomes.get(photo!)).toMatchObject({ status: 'failed', errorKind: 'read-only' });
    expect(outcomes.get(photo!)!.reason).toMatch(/read-only/u);
  });

  it('a photo in a folder that allows no new files (immutable folder) fails with no model call', async (context) => {
    dir = tempDir();
    const folder = path.join(dir, 'locked');
    fs.mkdirSync(folder);
    const [photo] = copyCorpus(folder, [[JPEG, 'photo.jpg']]);
    if (!run('chattr', ['+i', folder])) return context.skip();
    cleanups.push(() => run('chattr', ['-i', folder]));
    const { outcomes, calls } = await tagCounting([photo!]);
    expect(calls).toBe(0);
    expect(outcomes.get(photo!)).toMatchObject({ status: 'failed', errorKind: 'read-only' });
  });

  it('5000 existing keywords (ExifTool reads 1000) are left alone, with no model call', async () => {
    dir = tempDir();
    const [photo] = copyCorpus(dir, [[JPEG, 'many.jpg']]);
    const args = path.join(dir, 'keywords.args');
    fs.writeFileSync(args, Array.from({ length: 5000 }, (_, i) => `-XMP-dc:Subject=kw${i}`).join('\n'));
    expect(
      run(path.join('node_modules', 'exiftool-vendored.pl', 'bin', 'exiftool'), ['-q', '-overwrite_original', '-@', args, photo!]),
    ).toBe(true);
    const digest = sha256(photo!);
    const { outcomes, calls } = await tagCounting([photo!]);
    expect(calls).toBe(0);
    expect(outcomes.get(photo!)).toMatchObject({ status: 'failed', errorKind: 'unsupported' });
    expect(outcomes.get(photo!)!.reason).toMatch(/1000/u);
    expect(sha256(photo!)).toBe(digest);
  });

  it('a malformed existing sidecar is named in the error, with no model call', async () => {
    dir = tempDir();
    const [raw] = copyCorpus(dir, [['raw/canon-eos-r6-gps-with-preview.cr3', 'shot.cr3']]);
    const sidecar = path.join(dir, 'shot.xmp');
    fs.writeFileSync(
      sidecar,
      '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description',
    );
    const { outcomes, calls } = await tagCounting([raw!]);
    expect(calls).toBe(0);
    expect(outcomes.get(raw!)).toMatchObject({ status: 'failed', errorKind: 'corrupt' });
    expect(outcomes.get(raw!)!.reason).toContain('shot.xmp');
  });

  it('an animated GIF of 20 frames of 4000×4000 is verified without decoding the frames: tagged, one model call, pixels unchanged', async () => {
    dir = tempDir();
    const gif = path.join(dir, 'animation.gif');
    fs.writeFileSync(gif, animatedGif(4000, 20));
    expect((await sharp(gif, { pages: -1, limitInputPixels: false }).metadata()).pages).toBe(20);
    const before = gifBlocksDigest(fs.readFileSync(gif));
    expect(before).toBeDefined();
    const { outcomes, calls } = await tagCounting([gif]);
    expect(outcomes.get(gif)).toMatchObject({ status: 'done' });
    expect(calls).toBe(1);
    expect(gifBlocksDigest(fs.readFileSync(gif))).toBe(before);
    expect(list((await readTags(gif))['XMP-dc:Subject']).length).toBeGreaterThan(0);
  });
});

/**
 * A GIF of `frames` single-colour size×size frames, LZW-encoded here (sharp's GIF encoder quantizes for 20 s
 * at this size): tiny on disk, 16 M pixels a frame when decoded.
 */
function animatedGif(size: number, frames: number): Buffer {
  const u16 = (n: number) => [n & 0xff, n >> 8];
  const head = Buffer.from([...Buffer.from('GIF89a'), ...u16(size), ...u16(size), 0x80, 0, 0, 0x33, 0xaa, 0x66, 0, 0, 0]);
  const loop = Buffer.from([0x21, 0xff, 0x0b, ...Buffer.from('NETSCAPE2.0'), 0x03, 0x01, 0x00, 0x00, 0x00]);
  const data = lzwOfOneColour(size * size);
  const blocks: number[] = [];
  for (let i = 0; i < data.length; i += 255) {
    const chunk = data.subarray(i, i + 255);
    blocks.push(chunk.length, ...chunk);
  }
  const frame = Buffer.from([
    0x21,
    0xf9,
    0x04,
    0x00,
    0x0a,
    0x00,
    0x00,
    0x00,
    0x2c,
    0,
    0,
    0,
    0,
    ...u16(size),
    ...u16(size),
    0x00,
    0x02,
    ...blocks,
    0x00,
  ]);
  return Buffer.concat([head, loop, ...Array.from({ length: frames }, () => frame), Buffer.from([0x3b])]);
}

/** GIF's LZW (minimum code size 2) of `count` pixels of colour 0, as omggif's encoder does it. */
function lzwOfOneColour(count: number): Buffer {
  const clear = 4;
  const end = 5;
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  let size = 3;
  let next = end + 1;
  let table = new Map<number, number>();
  const emit = (code: number) => {
    acc |= code << bits;
    bits += size;
    while (bits >= 8) {
      out.push(acc & 0xff);
      acc >>>= 8;
      bits -= 8;
    }
  };
  emit(clear);
  let current = 0;
  for (let i = 1; i < count; i++) {
    const key = current * 4; // (prefix code, colour 0)
    const known = table.get(key);
    if (known !== undefined) {
      current = known;
      continue;
    }
    emit(current);
    if (next === 4096) {
      emit(clear);
      next = end + 1;
      size = 3;
      table = new Map();
    } else {
      if (next >= 1 << size) size++;
      table.set(key, next++);
    }
    current = 0;
  }
  emit(current);
  emit(end);
  if (bits > 0) out.push(acc & 0xff);
  return Buffer.from(out);
}
