import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MetadataTool } from '../../src/core/exiftool.js';
import { formatOf } from '../../src/core/formats.js';
import { imageDataHash, jpegScanDigest } from '../../src/core/imagehash.js';
import { writeVerified } from '../../src/core/writer.js';
import { PhotoError } from '../../src/core/errors.js';
import { closeTestExifTool, copyCorpus, CORPUS, readTags, sha256, tempDir } from '../support/corpus.js';

const tool = new MetadataTool(1);
const dirs: string[] = [];
afterAll(async () => {
  await tool.close();
  await closeTestExifTool();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('image data digest', () => {
  const jpeg = fs.readFileSync(path.join(CORPUS, 'jpeg/htc-desire-gps.jpg'));

  it('ignores metadata segments and changes with any byte of the compressed pixels', () => {
    const comment = Buffer.from([0xff, 0xfe, 0x00, 0x07, 0x68, 0x65, 0x6c, 0x6c, 0x6f]);
    const withComment = Buffer.concat([jpeg.subarray(0, 2), comment, jpeg.subarray(2)]);
    expect(jpegScanDigest(withComment)).toBe(jpegScanDigest(jpeg));
    const damaged = Buffer.from(jpeg);
    damaged[damaged.length - 100] ^= 0x01;
    expect(jpegScanDigest(damaged)).not.toBe(jpegScanDigest(jpeg));
    expect(jpegScanDigest(Buffer.from('not a jpeg'))).toBeUndefined();
  });

  it('agrees with ExifTool that a phototag write leaves the pixels alone, for every in-file format', async () => {
    const dir = tempDir();
    dirs.push(dir);
    for (const name of [
      'jpeg/htc-desire-gps.jpg',
      'png/hopper-no-exif-xmp.png',
      'other/hopper-no-metadata.gif',
      'heic/hopper-no-metadata.avif',
    ]) {
      const [file] = copyCorpus(dir, [name]);
      const format = formatOf((await tool.read(file!)).fileType)!;
      const before = await imageDataHash(file!, format, tool);
      expect(before).toBeTruthy();
      await writeVerified(
        tool,
        { photo: file!, file: file!, create: false, imageDataHash: before, format },
        { tags: { 'XMP-dc:Title-x-default': 'Checked' }, reencoded: [], notes: [] },
        { keepOriginal: false },
      );
      expect(await imageDataHash(file!, format, tool)).toBe(before);
      expect((await readTags(file!))['XMP-dc:Title']).toBe('Checked');
    }
  });
});

describe('verified write', () => {
  it('fails loudly and leaves the photo untouched when the read-back differs', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const [gif] = copyCorpus(dir, ['other/hopper-no-metadata.gif']);
    const hash = sha256(gif!);
    const format = formatOf('GIF')!;
    // GIF cannot hold IPTC: ExifTool skips the tag without an error, and only the read-back notices.
    const plan = { tags: { 'XMP-dc:Title-x-default': 'Title', 'IPTC:Keywords': ['lost'] }, reencoded: [], notes: [] };
    const error = await writeVerified(
      tool,
      { photo: gif!, file: gif!, create: false, imageDataHash: await imageDataHash(gif!, format, tool), format },
      plan,
      { keepOriginal: false },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PhotoError);
    expect((error as PhotoError).kind).toBe('verify-failed');
    expect((error as Error).message).toContain('IPTC:Keywords');
    expect(sha256(gif!)).toBe(hash);
    expect(fs.readdirSync(dir)).toEqual(['hopper-no-metadata.gif']);
  });

  it('refuses to replace a photo whose image data would change', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const [photo] = copyCorpus(dir, ['jpeg/htc-desire-gps.jpg']);
    const hash = sha256(photo!);
    const error = await writeVerified(
      tool,
      { photo: photo!, file: photo!, create: false, imageDataHash: 'digest-of-other-pixels', format: formatOf('JPEG')! },
      { tags: { 'XMP-dc:Title-x-default': 'x' }, reencoded: [], notes: [] },
      { keepOriginal: false },
    ).catch((e: unknown) => e);
    expect((error as PhotoError).kind).toBe('verify-failed');
    expect((error as Error).message).toContain('image data changed');
    expect(sha256(photo!)).toBe(hash);
    expect(fs.readdirSync(dir)).toEqual(['htc-desire-gps.jpg']);
  });

  it('keeps the file mode of the photo', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const [photo] = copyCorpus(dir, ['jpeg/htc-desire-gps.jpg']);
    fs.chmodSync(photo!, 0o640);
    const format = formatOf('JPEG')!;
    await writeVerified(
      tool,
      { photo: photo!, file: photo!, create: false, imageDataHash: await imageDataHash(photo!, format, tool), format },
      { tags: { 'XMP-dc:Title-x-default': 'x' }, reencoded: [], notes: [] },
      { keepOriginal: false },
    );
    expect(fs.statSync(photo!).mode & 0o777).toBe(0o640);
  });
});
