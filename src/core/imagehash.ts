import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { MetadataTool } from './exiftool.js';
import type { PhotoFormat } from './formats.js';
import { decodeOwn, FAIL_ON, loadSharp, MAX_PIXELS, withFullDecodeTurn } from './prepare.js';

/**
 * A digest of the image data alone (no metadata), compared before and after every write.
 * JPEG: every byte from the first SOS marker to EOI — the compressed pixels that ExifTool's ImageDataHash
 * covers too — hashed here in ~5 ms instead of ExifTool's ~85 ms for an 8 MP photo.
 * GIF: every block that defines pixels (see gifBlocksDigest), in memory bounded by the file's size.
 * Other formats: ExifTool's ImageDataHash; where ExifTool has none (PSD), a digest of the decoded pixels.
 * `known`: the digests from the pass that hashed the file's content (hashPhoto), so its bytes are not read again.
 */
export async function imageDataHash(
  file: string,
  format: PhotoFormat,
  tool: MetadataTool,
  known?: { imageData?: { kind: 'jpeg' | 'gif'; digest: string } },
): Promise<string | undefined> {
  if (known?.imageData && known.imageData.kind === ownDigestKind(format)) return known.imageData.digest;
  return (await ownImageDigest(file, format)) ?? (await toolImageDigest(file, format, await tool.imageDataHash(file)));
}

function ownDigestKind(format: PhotoFormat): 'jpeg' | 'gif' | undefined {
  return format.name === 'JPEG' || format.name === 'MPO' ? 'jpeg' : format.name === 'GIF' ? 'gif' : undefined;
}

/** The digest phototag computes itself (JPEG, GIF); undefined for other formats or a structure it cannot walk. */
export async function ownImageDigest(file: string, format: PhotoFormat): Promise<string | undefined> {
  const kind = ownDigestKind(format);
  if (!kind) return undefined;
  const bytes = await fs.readFile(file);
  return kind === 'jpeg' ? jpegScanDigest(bytes) : gifBlocksDigest(bytes);
}

/** ExifTool's ImageDataHash (already read), else, where ExifTool has none, a digest of the decoded pixels. */
export async function toolImageDigest(file: string, format: PhotoFormat, fromExifTool: string | undefined): Promise<string | undefined> {
  return fromExifTool ?? decodedPixelsDigest(file, format);
}

/** Decoded pixels held at once for a digest: beyond this (an animation of huge frames) there is none. */
const MAX_DIGEST_BYTES = 256 * 1024 * 1024;

async function decodedPixelsDigest(file: string, format: PhotoFormat): Promise<string | undefined> {
  if (format.pixels === 'heif' || format.pixels === 'raw-preview') return undefined;
  // Every pixel at once: one such decode at a time, as the decodes for the model (prepare.ts).
  return withFullDecodeTurn(() => pixelsDigest(file, format));
}

async function pixelsDigest(file: string, format: PhotoFormat): Promise<string | undefined> {
  const sharp = await loadSharp();
  try {
    if (format.pixels === 'sharp') {
      const info = await sharp(file, { pages: -1, limitInputPixels: MAX_PIXELS, failOn: FAIL_ON }).metadata();
      if ((info.width ?? 0) * (info.pageHeight ?? info.height ?? 0) * (info.pages ?? 1) * 4 > MAX_DIGEST_BYTES) return undefined;
    }
    const pixels =
      format.pixels === 'sharp'
        ? await sharp(file, { pages: -1, limitInputPixels: MAX_PIXELS, failOn: FAIL_ON }).raw().toBuffer()
        : (await decodeOwn(file, format)).data;
    return `pixels:${createHash('sha256').update(pixels).digest('hex')}`;
  } catch {
    return undefined;
  }
}

/**
 * SHA-256 of what makes a GIF's pixels: the logical screen descriptor and global colour table, then each
 * graphic control extension, plain-text extension, image descriptor, local colour table and LZW data, in
 * order. Application and comment extensions (where XMP and comments live) are left out, as is the version
 * (a metadata writer may turn GIF87a into GIF89a). Undefined if the blocks cannot be walked.
 */
export function gifBlocksDigest(gif: Buffer): string | undefined {
  if (gif.length < 13 || gif.toString('latin1', 0, 3) !== 'GIF') return undefined;
  const hash = createHash('sha256');
  const table = (flags: number) => (flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0);
  let offset = 13 + table(gif[10]!);
  if (offset > gif.length) return undefined;
  hash.update(gif.subarray(6, offset));
  /** Data sub-blocks from `at` to the terminator; returns the offset after it. */
  const subBlocks = (at: number, keep: boolean): number | undefined => {
    let i = at;
    while (i < gif.length) {
      const size = gif[i]!;
      if (size === 0) {
        if (keep) hash.update(gif.subarray(at, i + 1));
        return i + 1;
      }
      i += 1 + size;
    }
    return undefined;
  };
  while (offset < gif.length) {
    const block = gif[offset]!;
    if (block === 0x3b) return `gif:${hash.digest('hex')}`;
    let next: number | undefined;
    if (block === 0x21) {
      const label = gif[offset + 1];
      const keep = label !== 0xff && label !== 0xfe;
      if (keep) hash.update(gif.subarray(offset, offset + 2));
      next = subBlocks(offset + 2, keep);
    } else if (block === 0x2c) {
      if (offset + 10 > gif.length) return undefined;
      const dataAt = offset + 10 + table(gif[offset + 9]!) + 1; // + LZW minimum code size
      if (dataAt > gif.length) return undefined;
      hash.update(gif.subarray(offset, dataAt));
      next = subBlocks(dataAt, true);
    }
    if (next === undefined) return undefined;
    offset = next;
  }
  return undefined; // no trailer: a truncated file
}

/** SHA-256 of a JPEG's entropy-coded data (first SOS through EOI), or undefined if the markers cannot be walked. */
export function jpegScanDigest(jpeg: Buffer): string | undefined {
  return jpegScan(jpeg)?.digest;
}

/** jpegScanDigest, and where the hashed data ends (the file's length when nothing follows EOI). */
export function jpegScan(jpeg: Buffer): { digest: string; end: number } | undefined {
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
      // No EOI (a truncated file) is never "ends at the end": the hashed range then ends one past the file.
      const end = eoi === -1 ? jpeg.length : eoi + 2;
      return { digest: createHash('sha256').update(jpeg.subarray(offset, end)).digest('hex'), end: eoi === -1 ? jpeg.length + 1 : end };
    }
    offset += 2 + jpeg.readUInt16BE(offset + 2);
  }
  return undefined;
}
