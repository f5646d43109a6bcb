import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { gifBlocksDigest, jpegScan } from './imagehash.js';

/** SHA-256 of a file's bytes, streamed so memory stays flat for large RAW files. */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** What one read of a photo's bytes tells: its content hash and, for JPEG and GIF content, its image-data digest. */
export interface PhotoDigests {
  /** SHA-256 of the whole file (the content hash the store and the answer cache key on). */
  sha256: string;
  /** The image-data digest `imageDataHash` would compute, from the same bytes (JPEG and GIF content only). */
  imageData?: { kind: 'jpeg' | 'gif'; digest: string };
  /**
   * A JPEG whose image data ends at the end of the file: nothing after EOI (no AFCP/FotoStation IPTC trailer,
   * no second image, not truncated), so ExifTool loses nothing when it skips scanning for trailers.
   */
  plainJpeg: boolean;
}

/** JPEG and GIF files up to this size are read whole (the image-data digest needs their structure); larger ones stream. */
const WHOLE_FILE_LIMIT = 256 * 1024 * 1024;

/**
 * The content hash and the image-data digest in one read of the file: a JPEG or GIF is read once into memory
 * (as the digest alone did before), anything else streams as `hashFile` does.
 */
export async function hashPhoto(file: string): Promise<PhotoDigests> {
  const bytes = await readIfJpegOrGif(file);
  if (!bytes) return { sha256: await hashFile(file), plainJpeg: false };
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (bytes[0] === 0xff) {
    const scan = jpegScan(bytes);
    return { sha256, imageData: scan && { kind: 'jpeg', digest: scan.digest }, plainJpeg: scan?.end === bytes.length };
  }
  const digest = gifBlocksDigest(bytes);
  return { sha256, imageData: digest ? { kind: 'gif', digest } : undefined, plainJpeg: false };
}

async function readIfJpegOrGif(file: string): Promise<Buffer | undefined> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 4 || size > WHOLE_FILE_LIMIT) return undefined;
    const head = Buffer.alloc(3);
    await handle.read(head, 0, 3, 0);
    if (!(head[0] === 0xff && head[1] === 0xd8) && head.toString('latin1') !== 'GIF') return undefined;
    const bytes = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(bytes, filled, size - filled, filled);
      if (bytesRead === 0) break; // shrank while read: hash what is there, as a stream would
      filled += bytesRead;
    }
    return bytes.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
