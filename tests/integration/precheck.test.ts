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
    expect(run(path.join('node_modules', 'exiftool-vendored.pl', 'bin', 'exiftool'), ['-q', '-overwrite_original', '-@', args, photo!])).toBe(true);
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
    fs.writeFileSync(sidecar, '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description');
    const { outcomes, calls } = await tagCounting([raw!]);
    expect(calls).toBe(0);
    expect(outcomes.get(raw!)).toMatchObject({ status: 'failed', errorKind: 'corrupt' });
    expect(outcomes.get(raw!)!.reason).toContain('shot.xmp');
  });

  it('an animated GIF of 20 frames of 4000×4000 is verified without decoding the frames: tagged, one model call, pixels unchanged', async () => {
    dir = tempDir();
    const gif = path.join(dir, 'animation.gif');
    fs.writeFileSync(gif, await animatedGif(4000, 20));
    const before = gifBlocksDigest(fs.readFileSync(gif));
    expect(before).toBeDefined();
    const { outcomes, calls } = await tagCounting([gif]);
    expect(outcomes.get(gif)).toMatchObject({ status: 'done' });
    expect(calls).toBe(1);
    expect(gifBlocksDigest(fs.readFileSync(gif))).toBe(before);
    expect(list((await readTags(gif))['XMP-dc:Subject']).length).toBeGreaterThan(0);
  });
});

/** A GIF of `frames` identical size×size frames: one frame encoded by sharp, its image block repeated. */
async function animatedGif(size: number, frames: number): Promise<Buffer> {
  const one = await sharp({ create: { width: size, height: size, channels: 3, background: '#3a6' } }).gif().toBuffer();
  const colours = one[10]! & 0x80 ? 3 * 2 ** ((one[10]! & 7) + 1) : 0;
  const start = 13 + colours;
  // Everything between the colour table and the trailer is the frame (its extensions, descriptor and data).
  const frame = one.subarray(start, one.length - 1);
  const loop = Buffer.from([0x21, 0xff, 0x0b, ...Buffer.from('NETSCAPE2.0'), 0x03, 0x01, 0x00, 0x00, 0x00]);
  return Buffer.concat([one.subarray(0, start), loop, ...Array.from({ length: frames }, () => frame), Buffer.from([0x3b])]);
}
