import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import { PhotoError } from '../errors.js';
import type { RawImage } from './psd.js';

interface JxlDecode {
  init(module: WebAssembly.Module, options: object): Promise<unknown>;
  default(buffer: ArrayBuffer): Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
}

let codec: Promise<JxlDecode> | undefined;
/**
 * libjxl compiled to WebAssembly (@jsquash/jxl, ESM). Its loader would fetch the wasm by URL, which Node
 * cannot do for a file: the wasm shipped in the package is read and compiled here. Emscripten's print hooks
 * are silenced (stdout is the reporter's).
 */
function jxl(): Promise<JxlDecode> {
  codec ??= (async () => {
    const m = (await import('@jsquash/jxl/decode.js')) as JxlDecode;
    const wasm = createRequire(__filename).resolve('@jsquash/jxl/codec/dec/jxl_dec.wasm');
    const module = await WebAssembly.compile(await fs.readFile(wasm));
    await m.init(module, { print: () => undefined, printErr: () => undefined });
    return m;
  })();
  codec.catch(() => (codec = undefined));
  return codec;
}

/** JPEG XL (sharp's prebuilt libvips has no libjxl): decoded to RGBA, alpha left for sharp to flatten. */
export async function decodeJxl(file: Buffer, maxPixels: number): Promise<RawImage> {
  let image: { width: number; height: number; data: Uint8ClampedArray };
  try {
    const decoder = await jxl();
    image = await decoder.default(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer);
  } catch (error) {
    const why = error instanceof Error && error.message !== 'Decoding error' ? error.message : 'libjxl could not read it';
    throw new PhotoError('corrupt', `cannot decode JPEG XL image: ${why}`);
  }
  const { width, height, data } = image;
  if (width * height > maxPixels) throw new PhotoError('corrupt', `image too large to decode safely (${width}×${height} pixels)`);
  if (data.length < width * height * 4) throw new PhotoError('corrupt', 'cannot decode JPEG XL image: truncated');
  return { width, height, channels: 4, data: Buffer.from(data.buffer, data.byteOffset, width * height * 4) };
}
