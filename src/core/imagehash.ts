import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { MetadataTool } from './exiftool.js';
import type { PhotoFormat } from './formats.js';
import { decodeOwn, FAIL_ON, loadSharp, MAX_PIXELS } from './prepare.js';

/**
 * A digest of the image data alone (no metadata), compared before and after every write.
 * JPEG: every byte from the first SOS marker to EOI — the compressed pixels that ExifTool's ImageDataHash
 * covers too — hashed here in ~5 ms instead of ExifTool's ~85 ms for an 8 MP photo.
 * Other formats: ExifTool's ImageDataHash; where ExifTool has none (GIF, PSD), a digest of the decoded pixels.
 */
export async function imageDataHash(file: string, format: PhotoFormat, tool: MetadataTool): Promise<string | undefined> {
  if (format.name === 'JPEG' || format.name === 'MPO') {
    const digest = jpegScanDigest(await fs.readFile(file));
    if (digest) return digest;
  }
  return (await tool.imageDataHash(file)) ?? decodedPixelsDigest(file, format);
}

async function decodedPixelsDigest(file: string, format: PhotoFormat): Promise<string | undefined> {
  if (format.pixels === 'heif' || format.pixels === 'raw-preview') return undefined;
  const sharp = await loadSharp();
  try {
    const pixels = format.pixels === 'sharp' ? await sharp(file, { pages: -1, limitInputPixels: MAX_PIXELS, failOn: FAIL_ON }).raw().toBuffer() : (await decodeOwn(file, format)).data;
    return `pixels:${createHash('sha256').update(pixels).digest('hex')}`;
  } catch {
    return undefined;
  }
}

/** SHA-256 of a JPEG's entropy-coded data (first SOS through EOI), or undefined if the markers cannot be walked. */
export function jpegScanDigest(jpeg: Buffer): string | undefined {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return undefined;
  let offset = 2;
  while (offset + 4 <= jpeg.length) {
    if (jpeg[offset] !== 0xff) return undefined;
    const marker = jpeg[offset + 1]!;
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    if (marker === 0xda) {
      const eoi = jpeg.indexOf(Buffer.from([0xff, 0xd9]), offset + 2);
      const end = eoi === -1 ? jpeg.length : eoi + 2;
      return createHash('sha256').update(jpeg.subarray(offset, end)).digest('hex');
    }
    offset += 2 + jpeg.readUInt16BE(offset + 2);
  }
  return undefined;
}
