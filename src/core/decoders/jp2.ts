import { PhotoError } from '../errors.js';
import type { RawImage } from './psd.js';

interface J2KDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean };
  getNumDecompositions(): number;
  readHeader(): void;
  decode(): void;
  decodeSubResolution(decompositionLevel: number, layer: number): void;
  calculateSizeAtDecompositionLevel(level: number): { width: number; height: number };
  delete(): void;
}
interface OpenJpeg {
  J2KDecoder: new () => J2KDecoder;
}

let codec: Promise<OpenJpeg> | undefined;
/** OpenJPEG compiled to WebAssembly; its log goes to Emscripten's print hooks, silenced (stdout is the reporter's). */
function openJpeg(): Promise<OpenJpeg> {
  codec ??= import('@cornerstonejs/codec-openjpeg/decodewasmjs').then(
    async (m) => (await m.default({ print: () => undefined, printErr: () => undefined })) as OpenJpeg,
  );
  return codec;
}

/** The JPEG 2000 codestream: a JP2/JPX file's `jp2c` box, or the whole of a raw `.j2k` codestream. */
export function codestream(file: Buffer): Buffer {
  if (file.length >= 12 && file.readUInt32BE(4) === 0x6a502020) {
    let offset = 0;
    while (offset + 8 <= file.length) {
      let length = file.readUInt32BE(offset);
      let header = 8;
      if (length === 1 && offset + 16 <= file.length) {
        length = Number(file.readBigUInt64BE(offset + 8));
        header = 16;
      } else if (length === 0) {
        length = file.length - offset;
      }
      if (length < header) break;
      if (file.toString('latin1', offset + 4, offset + 8) === 'jp2c')
        return file.subarray(offset + header, Math.min(offset + length, file.length));
      offset += length;
    }
    throw new PhotoError('corrupt', 'cannot decode JPEG 2000 image: no codestream in the file');
  }
  return file;
}

/**
 * JPEG 2000 (sharp's prebuilt libvips has no OpenJPEG). When the full size is known (ExifTool read it), the
 * smallest resolution level that still covers `maxEdge` on the long side is decoded: the model never
 * needs more, and a large scan decodes in a fraction of the time and memory. (This OpenJPEG build tells
 * the size only after a decode.)
 */
export async function decodeJp2(
  file: Buffer,
  maxPixels: number,
  maxEdge = 0,
  size?: { width?: number; height?: number },
): Promise<RawImage> {
  const stream = codestream(file);
  const { J2KDecoder } = await openJpeg();
  let level = 0;
  if (maxEdge > 0 && size?.width && size.height) {
    // At most 5 levels: OpenJPEG's default number of decompositions.
    while (level < 5 && Math.max(size.width, size.height) / 2 ** (level + 1) >= maxEdge) level++;
  }
  try {
    return decodeAt(J2KDecoder, stream, level, maxPixels);
  } catch (error) {
    if (level === 0 || error instanceof PhotoError) throw wrap(error);
    return decodeAt(J2KDecoder, stream, 0, maxPixels); // the file has fewer resolution levels
  }
}

function decodeAt(Decoder: new () => J2KDecoder, stream: Buffer, level: number, maxPixels: number): RawImage {
  const decoder = new Decoder();
  try {
    decoder.getEncodedBuffer(stream.length).set(stream);
    if (level > 0) decoder.decodeSubResolution(level, 0);
    else decoder.decode();
    const info = decoder.getFrameInfo();
    if (info.width * info.height > maxPixels)
      throw new PhotoError('corrupt', `image too large to decode safely (${info.width}×${info.height} pixels)`);
    const width = Math.ceil(info.width / 2 ** level);
    const height = Math.ceil(info.height / 2 ** level);
    return toRaw(decoder.getDecodedBuffer(), width, height, info.bitsPerSample, info.componentCount, info.isSigned);
  } catch (error) {
    throw wrap(error);
  } finally {
    decoder.delete();
  }
}

function wrap(error: unknown): PhotoError {
  if (error instanceof PhotoError) return error;
  // The WebAssembly build throws bare numbers (a C++ exception pointer); it cannot read 4-component (alpha) images.
  const why = error instanceof Error ? error.message : 'OpenJPEG could not read it (an image with an alpha channel is not supported)';
  return new PhotoError('corrupt', `cannot decode JPEG 2000 image: ${why}`);
}

/** Interleaved samples of any depth → 8-bit grey or RGB (alpha and extra components dropped). */
function toRaw(samples: Uint8Array, width: number, height: number, bits: number, components: number, signed: boolean): RawImage {
  const pixels = width * height;
  const bytesPerSample = bits > 8 ? 2 : 1;
  if (samples.length < pixels * components * bytesPerSample) throw new PhotoError('corrupt', 'cannot decode JPEG 2000 image: truncated');
  const view = new DataView(samples.buffer, samples.byteOffset, samples.byteLength);
  const channels: 1 | 3 = components >= 3 ? 3 : 1;
  const out = Buffer.alloc(pixels * channels);
  const shift = Math.max(0, bits - 8);
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < channels; c++) {
      const at = (i * components + c) * bytesPerSample;
      let value =
        bytesPerSample === 2 ? (signed ? view.getInt16(at, true) : view.getUint16(at, true)) : signed ? view.getInt8(at) : samples[at]!;
      if (signed) value += 1 << (bits - 1);
      out[i * channels + c] = Math.max(0, Math.min(255, value >> shift));
    }
  }
  return { width, height, channels, data: out };
}
