import fs from 'node:fs/promises';
import { applyDelta, decodeDelta } from './delta.js';
import { errorMessage, PhotoError } from './errors.js';
import type { MetadataTool, RawTags } from './exiftool.js';
import { formatOf, type PhotoFormat } from './formats.js';
import { hashFile } from './hash.js';
import { imageDataHash } from './imagehash.js';
import { sha256 } from './journal.js';
import { sameValue, settled } from './show.js';
import type { FieldChange, Store, WriteRow } from './store.js';
import { writeNames } from './write-names.js';
import { commit, writeVerified } from './writer.js';

export interface UndoOptions {
  /**
   * Put the fields back even where someone changed them after phototag wrote them (their edit is replaced
   * by what was there before phototag). Never overrides a change of the image data, a missing photo, or a
   * later phototag write still in effect.
   */
  force: boolean;
}

export type UndoOutcome =
  | {
      file: string;
      status: 'undone';
      write: number;
      /** 'exact': the file's bytes from before the write; 'fields': field by field (the file changed since). */
      how: 'exact' | 'fields' | 'removed';
      target: string;
      fields: string[];
    }
  | { file: string; status: 'failed' | 'nothing'; write?: number; reason: string };

/** Never compared or put back by field: ExifTool stores it as an escape sequence, and other IPTC text depends on it. */
const CHARSET = 'IPTC:CodedCharacterSet';

/**
 * Put back every field one write changed, verified like any write. When the target is byte for byte what
 * the write left, its exact old bytes are rebuilt from the recorded delta (a sidecar phototag created is
 * removed); when someone changed the file since, only phototag's fields are put back, and only if none of
 * them was changed since (unless `force`). The image data must be what it was, always.
 */
export async function undoWrite(given: WriteRow, store: Store, tool: MetadataTool, options: UndoOptions): Promise<UndoOutcome> {
  const file = given.path;
  const row = await settled(store, given);
  if (!row) return { file, status: 'nothing', write: given.id, reason: 'that write never reached the file' };
  if (row.state === 'undone') return { file, status: 'nothing', write: row.id, reason: `write #${row.id} is already undone` };
  const later = store.writes.history(file).find((other) => other.id > row.id && other.kind !== 'undo' && other.state !== 'undone');
  if (later)
    return {
      file,
      status: 'failed',
      write: row.id,
      reason: `a later write (#${later.id}, ${later.kind}) is still in effect: undo that first`,
    };
  try {
    const photo = await fs.stat(file).catch(() => undefined);
    if (!photo?.isFile()) throw new PhotoError('missing', 'no such file');
    const inFile = row.target === row.path;
    let format: PhotoFormat | undefined;
    if (inFile) {
      format = formatOf((await tool.read(file)).fileType);
      if (!format) throw new PhotoError('unsupported', 'not an image ExifTool can read any more');
      if (row.imageHash && (await imageDataHash(file, format, tool)) !== row.imageHash)
        throw new PhotoError('changed', 'its image data changed since phototag wrote it; not undone (--force never overrides this)');
    }
    const now = await hashFile(row.target).catch(() => undefined);
    let how: 'exact' | 'fields' | 'removed';
    let fields = row.fields.filter((field) => field.tag !== CHARSET);
    if (row.created && now === undefined) {
      how = 'removed'; // the sidecar phototag created is gone already
    } else if (now !== undefined && now === row.beforeSha256) {
      how = 'exact'; // put back already (an undo that stopped before recording itself)
    } else if (now !== undefined && now === row.afterSha256 && row.created) {
      await fs.rm(row.target);
      how = 'removed';
    } else if (now !== undefined && now === row.afterSha256 && row.restore && row.beforeSha256) {
      await restoreExact(row, tool, format);
      how = 'exact';
      fields = row.fields;
    } else {
      await restoreFields(row, fields, tool, format, options);
      how = 'fields';
    }
    const undo = store.writes.record({
      path: file,
      target: row.target,
      kind: 'undo',
      source: 'cli',
      created: false,
      fields: fields.map((field) => ({ tag: field.tag, before: field.after, after: field.before })),
      afterSha256: (await hashFile(row.target).catch(() => undefined)) ?? '',
      undoes: row.id,
    });
    store.writes.committed(undo);
    store.writes.undone(row.id, undo);
    const after = await fs.stat(file);
    store.writes.markUndone(file, after.size, after.mtimeMs);
    return { file, status: 'undone', write: row.id, how, target: row.target, fields: fields.map((field) => field.tag) };
  } catch (error) {
    return { file, status: 'failed', write: row.id, reason: errorMessage(error) };
  }
}

/**
 * The target's bytes from before the write, rebuilt from its bytes now and the delta: checked by their SHA-256,
 * the image data digest and an ExifTool read of every field, then put in place like any write (owner, mode,
 * links and modification time kept).
 */
async function restoreExact(row: WriteRow, tool: MetadataTool, format: PhotoFormat | undefined): Promise<void> {
  const target = await fs.realpath(row.target);
  const before = applyDelta(decodeDelta(row.restore!), await fs.readFile(target));
  if (sha256(before) !== row.beforeSha256) throw new PhotoError('verify-failed', 'the recorded delta does not rebuild the old file');
  const names = await writeNames(target, undefined);
  try {
    await fs.writeFile(names.temp, before, { flag: 'wx' });
    if (row.imageHash && format && (await imageDataHash(names.temp, format, tool)) !== row.imageHash)
      throw new PhotoError('verify-failed', 'image data would change; the photo was left untouched');
    const read = (await tool.read(names.temp)).tags;
    const wrong = row.fields.filter((field) => field.tag !== CHARSET && !sameValue(read[field.tag], field.before));
    if (wrong.length > 0)
      throw new PhotoError('verify-failed', `read-back differs from the recorded values (${wrong.map((f) => f.tag).join(', ')})`);
    await commit(names.temp, target, row.target === row.path);
  } finally {
    await fs.rm(names.temp, { force: true });
    await names.release();
  }
}

/** Phototag's fields back to their values before the write, through the verified writer; refuses edits made since. */
async function restoreFields(
  row: WriteRow,
  fields: FieldChange[],
  tool: MetadataTool,
  format: PhotoFormat | undefined,
  options: UndoOptions,
): Promise<void> {
  const current = (await tool.read(row.target)).tags;
  const changed = fields.filter((field) => !sameValue(current[field.tag], field.after));
  if (changed.length > 0 && !options.force) {
    const what = changed.map((field) => `${field.tag} (now ${describe(current[field.tag])})`).join(', ');
    throw new PhotoError(
      'changed',
      `changed since phototag wrote it: ${what}; not undone (--force puts back what was there before phototag, replacing that)`,
    );
  }
  const tags: RawTags = {};
  // A lang-alt written without its language would delete the others.
  for (const field of fields) tags[/^XMP-dc:(Title|Description)$/u.test(field.tag) ? `${field.tag}-x-default` : field.tag] = field.before;
  await writeVerified(
    tool,
    { photo: row.path, file: row.target, create: false, imageDataHash: row.imageHash, format },
    { tags, reencoded: [], notes: [] },
    { keepOriginal: false },
  );
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return 'absent';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
