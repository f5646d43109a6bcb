import { PhotoError } from '../errors.js';

/** Decoded pixels, interleaved, 8 bits per sample (1 channel grey or 3 channels RGB). */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Buffer;
}

const GREY = 1;
const INDEXED = 2;
const RGB = 3;
const CMYK = 4;

/**
 * The flattened composite that Photoshop stores after the layers (PSD and PSB): raw or PackBits, 8 or
 * 16 bits, greyscale, indexed, RGB or CMYK. sharp's prebuilt libvips has no PSD loader; this is all a model
 * needs to see the photo.
 */
export function decodePsd(file: Buffer, maxPixels: number): RawImage {
  const fail = (why: string): never => {
    throw new PhotoError('corrupt', `cannot decode Photoshop image: ${why}`);
  };
  if (file.length < 26 || file.toString('latin1', 0, 4) !== '8BPS') fail('not a Photoshop file');
  const version = file.readUInt16BE(4);
  if (version !== 1 && version !== 2) fail(`unknown version ${version}`);
  const big = version === 2;
  const channelCount = file.readUInt16BE(12);
  const height = file.readUInt32BE(14);
  const width = file.readUInt32BE(18);
  const depth = file.readUInt16BE(22);
  const mode = file.readUInt16BE(24);
  if (!width || !height) fail('no image size');
  if (width * height > maxPixels) fail(`image too large to decode safely (${width}×${height} pixels)`);
  if (depth !== 8 && depth !== 16) fail(`${depth}-bit composites are not supported`);
  if (![GREY, INDEXED, RGB, CMYK].includes(mode)) fail(`colour mode ${mode} is not supported`);

  let offset = 26;
  const section = (): { start: number; length: number } => {
    if (offset + 4 > file.length) fail('truncated');
    const length = file.readUInt32BE(offset);
    const start = offset + 4;
    offset = start + length;
    return { start, length };
  };
  const palette = section(); // colour mode data (the palette of an indexed image)
  section(); // image resources
  if (big) {
    if (offset + 8 > file.length) fail('truncated');
    offset += 8 + Number(file.readBigUInt64BE(offset));
  } else {
    section(); // layers and masks
  }
  if (offset + 2 > file.length) fail('truncated (no composite image)');
  const compression = file.readUInt16BE(offset);
  offset += 2;

  const bytesPerSample = depth / 8;
  const rowBytes = width * bytesPerSample;
  const planeBytes = rowBytes * height;
  const wanted = mode === RGB ? 3 : mode === CMYK ? 4 : 1;
  if (channelCount < wanted) fail(`${channelCount} channels for colour mode ${mode}`);
  const planes: Buffer[] = [];
  if (compression === 0) {
    for (let c = 0; c < wanted; c++) {
      const start = offset + c * planeBytes;
      if (start + planeBytes > file.length) fail('truncated');
      planes.push(file.subarray(start, start + planeBytes));
    }
  } else if (compression === 1) {
    const countSize = big ? 4 : 2;
    const rows = channelCount * height;
    let data = offset + rows * countSize;
    for (let c = 0; c < wanted; c++) {
      const plane = Buffer.alloc(planeBytes);
      for (let y = 0; y < height; y++) {
        const at = offset + (c * height + y) * countSize;
        if (at + countSize > file.length) fail('truncated');
        const length = big ? file.readUInt32BE(at) : file.readUInt16BE(at);
        if (data + length > file.length) fail('truncated');
        unpackBits(file.subarray(data, data + length), plane.subarray(y * rowBytes, (y + 1) * rowBytes));
        data += length;
      }
      planes.push(plane);
    }
  } else {
    fail(`composite compression ${compression} is not supported`);
  }

  const sample = (plane: Buffer, i: number): number => plane[i * bytesPerSample]!; // 16-bit: the high byte
  const pixels = width * height;
  if (mode === GREY) {
    const data = Buffer.alloc(pixels);
    for (let i = 0; i < pixels; i++) data[i] = sample(planes[0]!, i);
    return { width, height, channels: 1, data };
  }
  const data = Buffer.alloc(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    let r: number;
    let g: number;
    let b: number;
    if (mode === RGB) {
      r = sample(planes[0]!, i);
      g = sample(planes[1]!, i);
      b = sample(planes[2]!, i);
    } else if (mode === CMYK) {
      // Photoshop stores CMYK inverted (255 = no ink): a naive conversion without a colour profile.
      const k = sample(planes[3]!, i) / 255;
      r = sample(planes[0]!, i) * k;
      g = sample(planes[1]!, i) * k;
      b = sample(planes[2]!, i) * k;
    } else {
      const index = sample(planes[0]!, i);
      const base = palette.start;
      r = file[base + index] ?? 0;
      g = file[base + 256 + index] ?? 0;
      b = file[base + 512 + index] ?? 0;
    }
    data[i * 3] = r;
    data[i * 3 + 1] = g;
    data[i * 3 + 2] = b;
  }
  return { width, height, channels: 3, data };
}

/** PackBits (Apple RLE) into a fixed-size row; a short or long row is left as decoded. */
function unpackBits(input: Buffer, output: Buffer): void {
  let i = 0;
  let o = 0;
  while (i < input.length && o < output.length) {
    const n = input.readInt8(i++);
    if (n >= 0) {
      const count = n + 1;
      input.copy(output, o, i, Math.min(i + count, input.length));
      i += count;
      o += count;
    } else if (n !== -128) {
      const count = 1 - n;
      output.fill(input[i++] ?? 0, o, Math.min(o + count, output.length));
      o += count;
    }
  }
}
