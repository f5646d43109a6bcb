import fs from 'node:fs/promises';
import { PhotoError } from './errors.js';
import type { RawTags } from './exiftool.js';
import type { WritePlan } from './fieldmap.js';
import { truncateUtf8 } from './text.js';

/**
 * In a JPEG, EXIF lives in one APP1 segment of at most 64 KB. Past that ExifTool splits it over several
 * segments, which exiv2, digiKam and darktable do not read: they lose the maker notes and the thumbnail.
 * TIFF, PNG, WebP and HEIC have no such limit.
 */
const MAX_APP1_PAYLOAD = 65_533;
/** What a new ImageDescription entry costs besides its text (IFD entry, NUL, padding), with room to spare. */
const ENTRY_OVERHEAD = 16;
const SAFETY_MARGIN = 256;
const EXIF_HEADER = Buffer.from('Exif\0\0', 'latin1');

/** Payload sizes of the APP1 segments holding EXIF, in file order; undefined when the file is not a JPEG. */
export async function exifSegments(file: string): Promise<number[] | undefined> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const read = async (position: number, length: number) => {
      const buffer = length === 4 ? head : Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return bytesRead === length ? buffer : undefined;
    };
    const soi = await read(0, 4);
    if (!soi || soi[0] !== 0xff || soi[1] !== 0xd8) return undefined;
    const sizes: number[] = [];
    let position = 2;
    // Markers up to the image data; bounded by the file (every step moves forward at least 2 bytes).
    for (let steps = 0; steps < 10_000; steps++) {
      const marker = await read(position, 4);
      if (!marker || marker[0] !== 0xff) break;
      const code = marker[1]!;
      if (code === 0xff) {
        position += 1; // fill byte
        continue;
      }
      if (code === 0xd8 || code === 0x01 || (code >= 0xd0 && code <= 0xd7)) {
        position += 2;
        continue;
      }
      if (code === 0xda || code === 0xd9) break;
      const length = marker.readUInt16BE(2);
      if (code === 0xe1 && length >= 8) {
        const id = await read(position + 4, EXIF_HEADER.length);
        if (id?.equals(EXIF_HEADER)) sizes.push(length - 2);
      }
      position += 2 + length;
    }
    return sizes;
  } finally {
    await handle.close();
  }
}

/**
 * Keep a JPEG's EXIF in one segment: shorten the planned EXIF ImageDescription to the room the photo's EXIF
 * leaves (or leave it out when next to nothing is left), saying so. XMP and IPTC keep the full description.
 */
export function fitExifDescription(
  plan: WritePlan,
  segments: readonly number[] | undefined,
  existing: RawTags,
): { plan: WritePlan; warning?: string } {
  const description = plan.tags['IFD0:ImageDescription'];
  if (typeof description !== 'string' || segments === undefined) return { plan };
  const current = segments[0] ?? 0;
  const replaced = Buffer.byteLength(String(existing['IFD0:ImageDescription'] ?? ''), 'utf8');
  const room = MAX_APP1_PAYLOAD - current + replaced - ENTRY_OVERHEAD - SAFETY_MARGIN;
  if (Buffer.byteLength(description, 'utf8') <= room) return { plan };
  if (room < 64) return withoutExifDescription(plan, "the photo's EXIF has no room left in its 64 KB segment");
  const short = truncateUtf8(description, room);
  return {
    plan: { ...plan, tags: { ...plan.tags, 'IFD0:ImageDescription': short } },
    warning: `EXIF ImageDescription shortened to ${Buffer.byteLength(short, 'utf8')} bytes to keep EXIF in one 64 KB segment (XMP and IPTC have the full text)`,
  };
}

export function withoutExifDescription(plan: WritePlan, why: string): { plan: WritePlan; warning: string } {
  const tags = Object.fromEntries(Object.entries(plan.tags).filter(([tag]) => tag !== 'IFD0:ImageDescription'));
  return { plan: { ...plan, tags }, warning: `EXIF ImageDescription not written: ${why}` };
}

/** The written copy split its EXIF over more segments than the photo had: it must not replace the photo. */
export class ExifOverflow extends PhotoError {
  constructor() {
    super('write-failed', 'the EXIF would not fit in one 64 KB JPEG segment');
  }
}

/** Check a written copy before it replaces the photo. */
export async function assertExifFits(written: string, before: readonly number[] | undefined): Promise<void> {
  if (before === undefined) return;
  const after = await exifSegments(written);
  if (after && after.length > Math.max(1, before.length)) throw new ExifOverflow();
}
