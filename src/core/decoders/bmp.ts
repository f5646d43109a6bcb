import { PhotoError } from '../errors.js';
import type { RawImage } from './psd.js';

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

/**
 * Windows bitmaps (sharp's prebuilt libvips has no BMP loader): 1, 4, 8, 16, 24 and 32 bits, palettes,
 * bit fields and RLE, bottom-up or top-down. Alpha is dropped (the model sees the photo on white anyway).
 */
export function decodeBmp(file: Buffer, maxPixels: number): RawImage {
  const fail = (why: string): never => {
    throw new PhotoError('corrupt', `cannot decode BMP image: ${why}`);
  };
  if (file.length < 26 || file.toString('latin1', 0, 2) !== 'BM') fail('not a BMP file');
  const pixelOffset = file.readUInt32LE(10);
  const headerSize = file.readUInt32LE(14);
  const core = headerSize === 12; // OS/2 1.x: 16-bit sizes, 3-byte palette entries
  const width = core ? file.readUInt16LE(18) : file.readInt32LE(18);
  const rawHeight = core ? file.readInt16LE(20) : file.readInt32LE(22);
  const bits = core ? file.readUInt16LE(24) : file.readUInt16LE(28);
  const compression = core ? BI_RGB : file.readUInt32LE(30);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) fail('no image size');
  if (width * height > maxPixels) fail(`image too large to decode safely (${width}×${height} pixels)`);

  const paletteStart =
    14 +
    headerSize +
    (compression === BI_BITFIELDS && headerSize === 40 ? 12 : compression === BI_ALPHABITFIELDS && headerSize === 40 ? 16 : 0);
  const entrySize = core ? 3 : 4;
  const colours = core ? 1 << bits : file.readUInt32LE(46) || (bits <= 8 ? 1 << bits : 0);
  const palette = (index: number): [number, number, number] => {
    const at = paletteStart + index * entrySize;
    if (index >= colours || at + 3 > file.length) return [0, 0, 0];
    return [file[at + 2]!, file[at + 1]!, file[at]!];
  };

  const out = Buffer.alloc(width * height * 3);
  const put = (x: number, y: number, rgb: readonly [number, number, number]): void => {
    if (x >= width || y >= height) return;
    const row = topDown ? y : height - 1 - y;
    out.set(rgb, (row * width + x) * 3);
  };

  if (compression === BI_RLE8 || compression === BI_RLE4) {
    decodeRle(file, pixelOffset, compression === BI_RLE4, (x, y, index) => put(x, y, palette(index)));
    return { width, height, channels: 3, data: out };
  }
  if (![BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS].includes(compression)) fail(`compression ${compression} is not supported`);
  if (![1, 4, 8, 16, 24, 32].includes(bits)) fail(`${bits}-bit pixels are not supported`);

  const masks = bitMasks(file, compression, bits);
  const stride = Math.floor((bits * width + 31) / 32) * 4;
  if (pixelOffset + stride * height > file.length) fail('truncated');
  for (let y = 0; y < height; y++) {
    const row = pixelOffset + y * stride;
    for (let x = 0; x < width; x++) {
      if (bits <= 8) {
        const bitIndex = x * bits;
        const byte = file[row + (bitIndex >> 3)]!;
        const index = (byte >> (8 - bits - (bitIndex & 7))) & ((1 << bits) - 1);
        put(x, y, palette(index));
      } else if (bits === 24) {
        const at = row + x * 3;
        put(x, y, [file[at + 2]!, file[at + 1]!, file[at]!]);
      } else {
        const value = bits === 16 ? file.readUInt16LE(row + x * 2) : file.readUInt32LE(row + x * 4);
        put(x, y, [channel(value, masks[0]), channel(value, masks[1]), channel(value, masks[2])]);
      }
    }
  }
  return { width, height, channels: 3, data: out };
}

function bitMasks(file: Buffer, compression: number, bits: number): [number, number, number] {
  // Bit fields follow a 40-byte header, or sit at the same place inside a V4/V5 header.
  if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS)
    return [file.readUInt32LE(54), file.readUInt32LE(58), file.readUInt32LE(62)];
  return bits === 16 ? [0x7c00, 0x03e0, 0x001f] : [0x00ff0000, 0x0000ff00, 0x000000ff];
}

/** One channel scaled to 8 bits from its mask. */
function channel(value: number, mask: number): number {
  if (!mask) return 0;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0 && shift < 32) shift++;
  const max = mask >>> shift;
  return Math.round(((((value & mask) >>> 0) >>> shift) * 255) / max);
}

function decodeRle(file: Buffer, start: number, four: boolean, put: (x: number, y: number, index: number) => void): void {
  let i = start;
  let x = 0;
  let y = 0;
  while (i + 1 < file.length) {
    const count = file[i++]!;
    const value = file[i++]!;
    if (count > 0) {
      for (let n = 0; n < count; n++) put(x++, y, four ? (n % 2 === 0 ? value >> 4 : value & 0x0f) : value);
    } else if (value === 0) {
      x = 0;
      y++;
    } else if (value === 1) {
      return;
    } else if (value === 2) {
      x += file[i++] ?? 0;
      y += file[i++] ?? 0;
    } else {
      const bytes = four ? Math.ceil(value / 2) : value;
      for (let n = 0; n < value; n++) {
        const byte = file[i + (four ? n >> 1 : n)] ?? 0;
        put(x++, y, four ? (n % 2 === 0 ? byte >> 4 : byte & 0x0f) : byte);
      }
      i += bytes + (bytes % 2);
    }
  }
}
