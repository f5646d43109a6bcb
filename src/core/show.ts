import fs from 'node:fs/promises';
import path from 'node:path';
import type { MetadataTool, RawTags } from './exiftool.js';
import { existingText, list } from './existing.js';
import { hashFile } from './hash.js';
import type { Store, WriteRow } from './store.js';

/** Two field values are the same when they read as the same list of strings (absent = empty). */
export function sameValue(a: unknown, b: unknown): boolean {
  const x = list(a);
  const y = list(b);
  return x.length === y.length && x.every((item, i) => item === y[i]);
}

/**
 * A write recorded as pending (phototag stopped between recording it and putting the copy in place): the
 * target's bytes say whether it happened. Settled in the database; returns the row as it now stands.
 */
export async function settled(store: Store, row: WriteRow): Promise<WriteRow | undefined> {
  if (row.state !== 'pending') return row;
  const now = await hashFile(row.target).catch(() => undefined);
  if (now === row.afterSha256) {
    store.writes.committed(row.id);
    return { ...row, state: 'done' };
  }
  if (now === row.beforeSha256 || (row.created && now === undefined)) {
    store.writes.abandoned(row.id);
    return undefined;
  }
  return row; // changed since in some other way: shown as unconfirmed, undone field by field
}

/** One field of one write, with what the file holds now. */
export interface ShownField {
  tag: string;
  before: unknown;
  written: unknown;
  now: unknown;
  /** What the file holds now differs from what this write put there, and no later phototag write explains it. */
  changedSince: boolean;
  /** A later phototag write (its id) replaced this field. */
  rewrittenBy?: number;
}

export interface ShownWrite extends Omit<WriteRow, 'fields' | 'restore' | 'beforeSha256' | 'afterSha256' | 'imageHash'> {
  fields: ShownField[];
  /** Bytes to put the file back exactly are kept (else undo restores field by field). */
  exactUndo: boolean;
}

export interface ShownPhoto {
  file: string;
  /** The photo is on disk. */
  exists: boolean;
  writes: ShownWrite[];
  /** Title, description and keywords the photo (or its sidecar) holds now, read with ExifTool. */
  now: { target: string; title?: string; description?: string; keywords: string[] } | undefined;
}

/** Everything phototag wrote into a photo, oldest first, each field compared with what the file holds now. */
export async function showPhoto(file: string, store: Store, tool: MetadataTool): Promise<ShownPhoto> {
  const absolute = path.resolve(file);
  const exists = await fs
    .stat(absolute)
    .then((s) => s.isFile())
    .catch(() => false);
  const rows: WriteRow[] = [];
  for (const row of store.writes.history(absolute)) {
    const settledRow = await settled(store, row);
    if (settledRow) rows.push(settledRow);
  }
  const reads = new Map<string, RawTags | undefined>();
  const tagsOf = async (target: string) => {
    if (!reads.has(target)) reads.set(target, await readIfThere(target, tool));
    return reads.get(target);
  };
  const writes: ShownWrite[] = [];
  // Newest first: a field a later write set again is that write's, not a person's edit.
  const latestBy = new Map<string, number>();
  for (const row of [...rows].reverse()) {
    const tags = await tagsOf(row.target);
    const fields = row.fields.map((field): ShownField => {
      const now = tags?.[field.tag] ?? null;
      const later = latestBy.get(`${row.target}\u0000${field.tag}`);
      const live = row.state !== 'undone' && row.kind !== 'undo';
      return {
        tag: field.tag,
        before: field.before,
        written: field.after,
        now,
        changedSince: live && later === undefined && !sameValue(now, field.after),
        rewrittenBy: later,
      };
    });
    if (row.state !== 'undone')
      for (const field of row.fields)
        if (!latestBy.has(`${row.target}\u0000${field.tag}`)) latestBy.set(`${row.target}\u0000${field.tag}`, row.id);
    const { fields: _f, restore, beforeSha256: _b, afterSha256: _a, imageHash: _i, ...facts } = row;
    writes.unshift({ ...facts, fields, exactUndo: restore !== undefined || row.created });
  }
  const target = rows.at(-1)?.target ?? absolute;
  const tags = await tagsOf(target);
  const text = tags ? existingText(tags) : undefined;
  return {
    file: absolute,
    exists,
    writes,
    now: text && { target, title: text.title, description: text.description, keywords: text.keywords },
  };
}

async function readIfThere(file: string, tool: MetadataTool): Promise<RawTags | undefined> {
  try {
    await fs.access(file);
  } catch {
    return undefined;
  }
  return (await tool.read(file)).tags;
}
