import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { needsWriteAlias, type PhotoFormat } from './formats.js';
import { argSafeName } from './arg-path.js';

/** Temp files are named `.phototag-tmp-<pid>-<random>-<name>`: hidden, and a later run can tell whose they are. */
export const TEMP_MARKER = '.phototag-tmp-';

export interface WriteNames {
  /** What ExifTool reads: the file itself, or an alias whose extension matches the content. */
  source: string;
  /** The new file ExifTool writes beside the target (renamed over it once verified). */
  temp: string;
  /** Remove the alias (never the target). */
  release(): Promise<void>;
}

/**
 * ExifTool chooses its writer by the file name, so a JPEG named `.nef` is refused ("Not a valid NEF (looks
 * more like a JPEG)"), and `-o` to a name of another type converts or refuses. Phototag judges a file by its
 * content: when the name disagrees, ExifTool reads a link named for the content and writes a temp file named
 * for it too; the result is renamed over the original name.
 */
export async function writeNames(file: string, content: PhotoFormat | undefined): Promise<WriteNames> {
  const dir = path.dirname(file);
  const prefix = path.join(dir, `${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}-`);
  if (!content || !needsWriteAlias(file, content))
    return track({ source: file, temp: `${prefix}${argSafeName(path.basename(file))}`, release: async () => undefined }, []);
  const extension = `.${content.extensions[0]!}`;
  const alias = `${prefix}source${extension}`;
  await linkOrCopy(path.resolve(file), alias);
  return track(
    { source: alias, temp: `${prefix}${argSafeName(path.basename(file))}${extension}`, release: () => fs.rm(alias, { force: true }) },
    [alias],
  );
}

/** Temp names of the writes in progress, so a forced exit can take them away with it. */
const inFlight = new Set<string>();

function track(names: WriteNames, extra: string[]): WriteNames {
  const paths = [names.temp, ...extra];
  for (const p of paths) inFlight.add(p);
  return {
    ...names,
    release: async () => {
      try {
        await names.release();
      } finally {
        for (const p of paths) inFlight.delete(p);
      }
    },
  };
}

/**
 * Remove the temp files of every write still in progress, at once (a shutdown that must end now: the photos
 * themselves are untouched until a verified temp file is renamed over them, so they stay as they were).
 */
export function removeTempFilesInFlight(): void {
  for (const p of inFlight) rmSync(p, { force: true });
  inFlight.clear();
}

/** A symlink where the file system has them (FAT and some shares do not): then a hard link, then a copy. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await fs.symlink(from, to);
  } catch {
    try {
      await fs.link(from, to);
    } catch {
      await fs.copyFile(from, to);
    }
  }
}
