import fs from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { PhotoError, errorMessage } from './errors.js';
import type { MetadataTool, PreviewTag } from './exiftool.js';
import type { PhotoFormat } from './formats.js';
import { decodeBmp } from './decoders/bmp.js';
import { decodeHeif } from './decoders/heif.js';
import { findNativeHeifDecoder, withNativeHeifDecode } from './decoders/heif-native.js';
import { decodeJp2 } from './decoders/jp2.js';
import { decodeJxl } from './decoders/jxl.js';
import { decodePsd, type RawImage } from './decoders/psd.js';
import { Slots } from './slots.js';

export interface PreparedImage {
  jpeg: Buffer;
  width: number;
  height: number;
}

export interface PrepareOptions {
  maxEdge: number;
  quality: number;
}

/** sharp's own default; a larger image is refused before it is decoded (decompression bombs). */
export const MAX_PIXELS = 268_402_689;
/** A RAW preview smaller than this on its long edge tells a model too little. */
export const MIN_PREVIEW_EDGE = 512;
const PREVIEW_TAGS: PreviewTag[] = ['PreviewImage', 'JpgFromRaw', 'OtherImage'];

const importSharp = () =>
  import('sharp').then((m) => {
    // sharp sizes its thread pool from a cgroup-limited guess (1 here); use every core for the decode.
    m.default.concurrency(availableParallelism());
    // libvips' operation cache keeps recent images and their buffers for reuse (tens of MB); each photo is opened once.
    m.default.cache(false);
    return m.default;
  });
type Sharp = Awaited<ReturnType<typeof importSharp>>;
let sharpModule: Promise<Sharp> | undefined;
export function loadSharp(): Promise<Sharp> {
  sharpModule ??= importSharp();
  return sharpModule;
}

/**
 * How strict the decode is. libjpeg *warnings* (`Corrupt JPEG data: 7 extraneous bytes before marker`) are
 * about damage every viewer shows past; `error` still fails a truncated file (`premature end of JPEG image`,
 * `libpng read error`), which must never be written.
 */
export const FAIL_ON = 'error' as const;
/** libjpeg's and libpng's words for data that ends early. */
const TRUNCATED = /premature end|read error|truncated|unexpected end/iu;

/**
 * The pixels the model sees: decoded (a truncated file fails here, before anything is written),
 * turned upright, shrunk to `maxEdge` on the long side and encoded as JPEG. The original is never sent.
 */
export async function prepareImage(
  file: string,
  format: PhotoFormat,
  meta: { orientation?: number; width?: number; height?: number },
  tool: MetadataTool,
  options: PrepareOptions,
): Promise<PreparedImage> {
  if (meta.width && meta.height && meta.width * meta.height > MAX_PIXELS) {
    throw new PhotoError('corrupt', `image too large to decode safely (${meta.width}×${meta.height} pixels)`);
  }
  switch (format.pixels) {
    case 'sharp':
      return shrink(file, options, { autoOrient: true, sequentialRead: true });
    case 'heif':
      return shrinkHeif(file, options);
    case 'raw-preview':
      return shrinkRawPreview(file, meta.orientation, tool, options);
    case 'psd':
    case 'bmp':
    case 'jp2':
    case 'jxl':
      return withFullDecodeTurn(async () => {
        const image = await decodeOwn(file, format, options.maxEdge, meta);
        return shrink(image.data, options, { autoOrient: false }, { width: image.width, height: image.height, channels: image.channels });
      });
  }
}

/** Formats sharp's prebuilt libvips cannot load, decoded in JavaScript. */
export async function decodeOwn(
  file: string,
  format: PhotoFormat,
  maxEdge = 0,
  size?: { width?: number; height?: number },
): Promise<RawImage> {
  const bytes = await fs.readFile(file);
  if (format.pixels === 'jp2') return decodeJp2(bytes, MAX_PIXELS, maxEdge, size);
  if (format.pixels === 'jxl') return decodeJxl(bytes, MAX_PIXELS);
  return format.pixels === 'psd' ? decodePsd(bytes, MAX_PIXELS) : decodeBmp(bytes, MAX_PIXELS);
}

/**
 * One decode at a time (each already uses every core): libvips keeps one error buffer for the process, so two
 * failing decodes at once could report each other's reason.
 */
const libvipsDecodes = new Slots(1);

/**
 * Full-size decodes outside libvips (HEIF, PSD, BMP, JPEG 2000, JPEG XL, a pixel digest) take turns, one per
 * core and two at the most: each holds a whole photo's pixels (48 MB for 12 MP RGBA; the native HEIF decoder
 * is a 60–80 MB process, mostly on one core), and with every photo in flight decoding at once an iPhone's
 * folder of HEICs ran six decoders side by side (310 MB). Two keep both cores of a small machine busy on such
 * a folder; a Pi's four cores would hold 300 MB of decoders at once for little gain. Their own turns, not
 * libvips' queue: these and a libvips decode overlap.
 */
const fullDecodes = new Slots(Math.min(2, availableParallelism()));
/** `done` may come early: once the decoded pixels are gone, the next decode need not wait for the shrink. */
export function withFullDecodeTurn<T>(work: (done: () => void) => Promise<T>): Promise<T> {
  return fullDecodes.run(work);
}

function shrink(...args: Parameters<typeof shrinkNow>): Promise<PreparedImage> {
  return libvipsDecodes.run(() => shrinkNow(...args));
}

async function shrinkNow(
  input: string | Buffer,
  options: PrepareOptions,
  orient: { autoOrient: boolean; orientation?: number; sequentialRead?: boolean; ignoreIcc?: boolean },
  raw?: { width: number; height: number; channels: 1 | 3 | 4 },
): Promise<PreparedImage> {
  const sharp = await loadSharp();
  try {
    let pipeline = sharp(input, {
      failOn: FAIL_ON,
      limitInputPixels: MAX_PIXELS,
      sequentialRead: orient.sequentialRead ?? false,
      ignoreIcc: orient.ignoreIcc ?? false,
      ...(raw ? { raw } : {}),
    });
    if (orient.autoOrient) pipeline = pipeline.rotate();
    else if (orient.orientation) pipeline = applyOrientation(pipeline, orient.orientation);
    const { data, info } = await pipeline
      .resize({ width: options.maxEdge, height: options.maxEdge, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: options.quality })
      .toBuffer({ resolveWithObject: true });
    return { jpeg: data, width: info.width, height: info.height };
  } catch (error) {
    const reason = decodeReason(error);
    throw new PhotoError(
      'corrupt',
      TRUNCATED.test(reason) ? `cannot decode image: the file is truncated or damaged (${reason})` : `cannot decode image: ${reason}`,
    );
  }
}

export type HeifDecoder = 'native' | 'wasm';

let nativeHeif: string | null | undefined;

/** The system's libheif decoder where there is one (about half the CPU of WebAssembly, no 48 MB RGBA buffer), else WebAssembly. */
async function shrinkHeif(file: string, options: PrepareOptions): Promise<PreparedImage> {
  if (nativeHeif === undefined) nativeHeif = findNativeHeifDecoder() ?? null;
  if (nativeHeif) {
    try {
      return await shrinkHeifWith('native', file, options, nativeHeif);
    } catch {
      // A file the system's libheif cannot read is tried once more in WebAssembly; its reason is the one reported.
    }
  }
  return shrinkHeifWith('wasm', file, options);
}

/** The WebAssembly HEIC decoder's process peaks at about 350 MB for 12 MP: one at a time (two were 700 MB). */
const wasmHeifDecodes = new Slots(1);

/**
 * Both decoders give the same picture: libheif applies the container's rotation (irot/imir) itself, so EXIF
 * Orientation is not applied again; the native decoder's JPEG carries the photo's ICC profile, which is left
 * out as the WebAssembly decoder's bare RGBA leaves it out.
 */
export async function shrinkHeifWith(
  decoder: HeifDecoder,
  file: string,
  options: PrepareOptions,
  tool = decoder === 'native' ? findNativeHeifDecoder() : undefined,
): Promise<PreparedImage> {
  if (decoder === 'native') {
    if (!tool) throw new PhotoError('corrupt', 'cannot decode HEIF image: no native HEIF decoder (heif-dec, heif-convert) on PATH');
    // The turn ends with the decoder process; the JPEG it wrote (on disk) is shrunk in libvips' own queue.
    return withFullDecodeTurn((done) =>
      withNativeHeifDecode(tool, file, (jpeg) => {
        done();
        return shrink(jpeg, options, { autoOrient: false, ignoreIcc: true });
      }),
    );
  }
  // Taken before a decode turn, so two WebAssembly decodes never hold both turns while waiting for each other.
  return wasmHeifDecodes.run(() =>
    withFullDecodeTurn(async () => {
      const image = await decodeHeif(file);
      return shrink(image.data, options, { autoOrient: false }, { width: image.width, height: image.height, channels: 4 });
    }),
  );
}

async function shrinkRawPreview(
  file: string,
  orientation: number | undefined,
  tool: MetadataTool,
  options: PrepareOptions,
): Promise<PreparedImage> {
  const sharp = await loadSharp();
  for (const tag of PREVIEW_TAGS) {
    const preview = await tool.extract(tag, file);
    if (!preview || preview.length < 1024 || preview[0] !== 0xff || preview[1] !== 0xd8) continue;
    const info = await sharp(preview)
      .metadata()
      .catch(() => undefined);
    if (!info?.width || !info.height || Math.max(info.width, info.height) < MIN_PREVIEW_EDGE) continue;
    // A preview usually carries no Orientation of its own: the RAW's applies.
    const ownOrientation = info.orientation !== undefined && info.orientation > 1;
    return shrink(preview, options, { autoOrient: ownOrientation, orientation: ownOrientation ? undefined : orientation });
  }
  throw new PhotoError('no-preview', 'no usable preview (the RAW file embeds no JPEG preview of at least 512 px)');
}

function applyOrientation(pipeline: ReturnType<Sharp>, orientation: number): ReturnType<Sharp> {
  switch (orientation) {
    case 2:
      return pipeline.flop();
    case 3:
      return pipeline.rotate(180);
    case 4:
      return pipeline.flip();
    case 5:
      return pipeline.rotate(90).flop();
    case 6:
      return pipeline.rotate(90);
    case 7:
      return pipeline.rotate(270).flop();
    case 8:
      return pipeline.rotate(270);
    default:
      return pipeline;
  }
}

function decodeReason(error: unknown): string {
  return errorMessage(error)
    .split('\n')[0]!
    .replace(/^Input (file|buffer) (contains|has) /u, '')
    .trim();
}
