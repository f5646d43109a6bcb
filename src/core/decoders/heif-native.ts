import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PhotoError } from '../errors.js';
import { runHelper, trackTempFolder } from './helpers.js';

/**
 * A HEIC decoder of the system's own, about twice as cheap as the WebAssembly one (heif.ts) and without its
 * 48 MB RGBA buffer for a 12 MP photo: libheif's command-line decoder (`heif-dec`, named `heif-convert`
 * before libheif 1.17; Debian's libheif-examples). It writes a JPEG that sharp then shrinks on load.
 * libheif applies the container's rotation (irot/imir) itself, as the WebAssembly build does.
 */
export const NATIVE_HEIF_TOOLS = ['heif-dec', 'heif-convert'] as const;

/** The first native decoder on `searchPath` (a PATH value), or undefined: the WebAssembly decoder is used then. */
export function findNativeHeifDecoder(searchPath = process.env.PATH ?? ''): string | undefined {
  for (const tool of NATIVE_HEIF_TOOLS) {
    for (const dir of searchPath.split(path.delimiter)) {
      if (!dir) continue;
      const candidate = path.join(dir, tool);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** As the WebAssembly decode: a hung decoder must not hold a worker for ever. */
const DECODE_TIMEOUT_MS = 120_000;
/** The intermediate JPEG only feeds a downscale to at most a few thousand pixels: high enough to be invisible there. */
const QUALITY = 92;

const TEMP_PREFIX = 'phototag-heif-';
/** Older than any decode in progress (DECODE_TIMEOUT_MS, then a shrink): the folder of a phototag that was killed. */
const STALE_MS = 10 * 60_000;
const swept = new Set<string>();

/**
 * Once per temp folder, before the first decode: what a phototag killed mid-decode (kill -9, the OOM killer) left
 * there, a full-size decoded copy of a photo, goes. Only this user's own folders, never through a link.
 */
async function sweepStaleTempFolders(tmp: string): Promise<void> {
  if (swept.has(tmp)) return;
  swept.add(tmp);
  const names = await fsp.readdir(tmp).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const folder = path.join(tmp, name);
    const stat = await fsp.lstat(folder).catch(() => undefined);
    if (!stat?.isDirectory() || stat.uid !== process.getuid?.() || Date.now() - stat.mtimeMs < STALE_MS) continue;
    await fsp.rm(folder, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Decode `file` with `decoder` into a JPEG in a private temp folder, hand its path to `use`, and remove the
 * folder afterwards, whatever happened (a failed decode, a timeout, a failing `use`).
 */
export async function withNativeHeifDecode<T>(
  decoder: string,
  file: string,
  use: (jpeg: string) => Promise<T>,
  timeoutMs = DECODE_TIMEOUT_MS,
): Promise<T> {
  await sweepStaleTempFolders(os.tmpdir());
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), TEMP_PREFIX));
  const untrackFolder = trackTempFolder(dir);
  try {
    const out = path.join(dir, 'decoded.jpg');
    const { said, exited } = runHelper(decoder, ['--quiet', '-q', String(QUALITY), file, out], ['ignore', 'pipe', 'pipe'], timeoutMs);
    const code = await exited;
    // A file of several top-level images is written as decoded-1.jpg, decoded-2.jpg, …: the first, as the WebAssembly decoder takes.
    const written = [out, path.join(dir, 'decoded-1.jpg')].find((candidate) => fs.existsSync(candidate));
    if (code !== 0 || !written) {
      const reason = said.join('').trim().split('\n')[0];
      throw new PhotoError(
        'corrupt',
        `cannot decode HEIF image: ${reason || (code === null ? 'the decoder was stopped' : 'no image in the file')}`,
      );
    }
    return await use(written);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
    untrackFolder();
  }
}
