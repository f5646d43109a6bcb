import fs from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { PhotoError } from './errors.js';

/**
 * What a file looked like when its metadata was read. A person (or Lightroom, digiKam, another phototag) may
 * edit the photo while the model thinks, seconds later: size, mtime, ctime and inode together notice any
 * write, including ExifTool's `-P` (keeps mtime) and its write-by-rename (new inode).
 */
export type Snapshot = { size: number; mtimeMs: number; ctimeMs: number; ino: number } | 'absent';

export function snapshotOf(stat: Stats): Snapshot {
  return { size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino };
}

export async function takeSnapshot(file: string): Promise<Snapshot> {
  try {
    return snapshotOf(await fs.stat(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
}

export async function isUnchanged(file: string, before: Snapshot): Promise<boolean> {
  const now = await takeSnapshot(file);
  if (now === 'absent' || before === 'absent') return now === before;
  return now.size === before.size && now.mtimeMs === before.mtimeMs && now.ctimeMs === before.ctimeMs && now.ino === before.ino;
}

/** Thrown just before a written copy would replace a file that changed since its metadata was read. */
export class ChangedWhileWriting extends PhotoError {
  constructor(file: string) {
    super('changed', `${file} changed while phototag was writing it`);
  }
}

/** How often a photo whose metadata keeps changing is planned again before phototag gives up on it. */
export const MAX_PLANS = 4;

export const KEPT_CHANGING = 'its metadata kept changing while phototag was writing (another program is editing it): tag it again later';
