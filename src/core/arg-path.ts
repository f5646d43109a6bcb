import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/** exiftool-vendored refuses an argument holding CR or LF (its `-stay_open` protocol is one argument a line). */
const UNSAFE_ARG = /[\r\n]/u;

let aliasDir: Promise<string> | undefined;

/**
 * Run `work` with a path ExifTool accepts for `file`: the file itself, or, when its name holds a line break,
 * a short-lived symlink to it in a private temp folder (so such a photo can still be read and tagged; the
 * write itself goes to a temp file with a clean name beside the photo).
 */
export async function withArgPath<T>(file: string, work: (arg: string) => Promise<T>): Promise<T> {
  if (!UNSAFE_ARG.test(file)) return work(file);
  aliasDir ??= fs.mkdtemp(path.join(os.tmpdir(), 'phototag-names-'));
  const alias = path.join(await aliasDir, `${randomBytes(6).toString('hex')}${path.extname(file).replace(/[^\w.]/gu, '')}`);
  await fs.symlink(path.resolve(file), alias);
  try {
    return await work(alias);
  } finally {
    await fs.rm(alias, { force: true });
  }
}

/** A file name safe to hand to ExifTool: line breaks and other controls become `_`. */
export function argSafeName(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f]/gu, '_');
}
