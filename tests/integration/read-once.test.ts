// One read of a photo's bytes for both its content hash and its image-data digest, and ExifTool's faster read
// (-fast2) only where it loses nothing: a JPEG with nothing after its image data (issue 13).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MetadataTool } from '../../src/core/exiftool.js';
import { formatOf } from '../../src/core/formats.js';
import { hashFile, hashPhoto } from '../../src/core/hash.js';
import { imageDataHash } from '../../src/core/imagehash.js';
import { CORPUS } from '../support/corpus.js';

const photos = fs
  .readdirSync(CORPUS, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'LICENSES')
  .flatMap((d) => fs.readdirSync(path.join(CORPUS, d.name)).map((f) => path.join(d.name, f)))
  .filter((f) => !f.endsWith('.xmp'))
  .sort();

const tool = new MetadataTool(1);
afterAll(async () => {
  await tool.close();
});

describe('hashPhoto', () => {
  it('gives every corpus photo the content hash and image-data digest that two separate reads gave', async () => {
    let fromOnePass = 0;
    for (const name of photos) {
      const file = path.join(CORPUS, name);
      const digests = await hashPhoto(file);
      expect(digests.sha256, name).toBe(await hashFile(file));
      const format = formatOf((await tool.read(file)).fileType);
      if (!format || format.pixels === 'heif' || format.pixels === 'raw-preview') continue;
      expect(await imageDataHash(file, format, tool, digests), name).toBe(await imageDataHash(file, format, tool));
      if (digests.imageData) fromOnePass++;
    }
    // (A JPEG whose markers cannot be walked, a damaged Samsung one, gets ExifTool's digest instead.)
    expect(fromOnePass).toBeGreaterThan(30);
  });

  it('calls a JPEG plain only when nothing follows its image data', async () => {
    const plain = async (name: string) => (await hashPhoto(path.join(CORPUS, name))).plainJpeg;
    expect(await plain('jpeg/canon-eos1000d-orientation6-3888x2592.jpg')).toBe(true);
    // An IPTC trailer (AFCP), a second image, a truncated file, not a JPEG.
    expect(await plain('with-metadata/nikon-e995-iptc-caption-latin1-no-charset.jpg')).toBe(false);
    expect(await plain('other/nintendo-3ds-stereo.mpo')).toBe(false);
    expect(await plain('broken/truncated-ultrahdr-pixel6.jpg')).toBe(false);
    expect(await plain('other/hopper-no-metadata.gif')).toBe(false);
  });
});

describe("ExifTool's fast read of a plain JPEG", () => {
  it('reads every tag the full read does on every corpus JPEG it is used for (maker-note warnings aside)', async () => {
    let used = 0;
    for (const name of photos) {
      const file = path.join(CORPUS, name);
      const digests = await hashPhoto(file);
      if (!digests.plainJpeg) continue;
      used++;
      const full = (await tool.read(file)).tags;
      const fast = (await tool.read(file, { fast: true })).tags;
      const makerNoteWarning = (value: unknown) => /MakerNotes/u.test(String(value));
      if (makerNoteWarning(full['ExifTool:Warning'])) delete full['ExifTool:Warning'];
      expect(fast, name).toEqual(full);
    }
    expect(used).toBeGreaterThan(25);
  });
});
