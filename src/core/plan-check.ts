import fs from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { PhotoError } from './errors.js';
import type { RawTags } from './exiftool.js';
import type { ExistingText, WritePlan } from './fieldmap.js';

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

export type Field = 'title' | 'description' | 'keywords';

/** Which of the fields phototag writes someone changed between two reads. */
export function changedFields(before: ExistingText, after: ExistingText): Set<Field> {
  const changed = new Set<Field>();
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same([before.title, before.titleByLang], [after.title, after.titleByLang])) changed.add('title');
  if (!same([before.description, before.descriptionByLang], [after.description, after.descriptionByLang])) changed.add('description');
  if (!same([before.keywords, before.hierarchical], [after.keywords, after.hierarchical])) changed.add('keywords');
  return changed;
}

function fieldOf(tag: string): Field | undefined {
  if (/CodedCharacterSet/iu.test(tag)) return undefined;
  if (/Title|ObjectName/iu.test(tag)) return 'title';
  if (/Description|Caption|XPComment|XPSubject/iu.test(tag)) return 'description';
  return 'keywords';
}

/**
 * `--overwrite` (or Regenerate) replaces what was there when the photo was read; a field someone changed
 * after that is their newer word and is only added to, as without `--overwrite`.
 */
export function keepFields(replacing: WritePlan, adding: WritePlan, kept: ReadonlySet<Field>): WritePlan {
  if (kept.size === 0) return replacing;
  // Other programs' IPTC re-encoded value for value, and the charset marker, are no one's field.
  const isKept = (plan: WritePlan, tag: string) => {
    const field = plan.reencoded.includes(tag) ? undefined : fieldOf(tag);
    return field !== undefined && kept.has(field);
  };
  const tags: RawTags = {};
  for (const [tag, value] of Object.entries(replacing.tags)) if (!isKept(replacing, tag)) tags[tag] = value;
  for (const [tag, value] of Object.entries(adding.tags)) if (isKept(adding, tag)) tags[tag] = value;
  return {
    tags,
    reencoded: [...new Set([...replacing.reencoded, ...adding.reencoded])],
    notes: [...new Set([...replacing.notes, ...adding.notes])],
  };
}
