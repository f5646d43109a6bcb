import fs from 'node:fs/promises';
import path from 'node:path';
import { PhotoError } from './errors.js';
import { exiftoolError, type MetadataTool, type RawTags } from './exiftool.js';
import { verifyWrite, type WritePlan } from './fieldmap.js';
import type { PhotoFormat } from './formats.js';
import { ownImageDigest, toolImageDigest } from './imagehash.js';
import { TEMP_MARKER, writeNames } from './write-names.js';

export interface WriteTarget {
  /** The photo, whose pixels must not change. */
  photo: string;
  /** Where the metadata goes: the photo itself or its sidecar. */
  file: string;
  /** The sidecar does not exist yet: create it from the photo's metadata. */
  create: boolean;
  /** Digest of the photo's image data before the write (in-file writes only). */
  imageDataHash?: string;
  format?: PhotoFormat;
}

export interface WriteReport {
  fieldsWritten: string[];
  warnings: string[];
}

export { TEMP_MARKER } from './write-names.js';

/** Remove a temp file left by a phototag process that is gone (killed mid-write); the photo itself is intact. */
export async function removeStrayTemp(file: string): Promise<boolean> {
  const pid = Number(/^\.phototag-tmp-(\d+)-/u.exec(path.basename(file))?.[1]);
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    const stat = await fs.stat(file);
    // The pid is in use: it is ours to keep only while it could still be writing (another host's share, a reused pid).
    if (Date.now() - stat.mtimeMs < 60 * 60 * 1000) return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPERM') return false;
  }
  await fs.rm(file, { force: true });
  return true;
}

export interface WriteOptions {
  /** Keep ExifTool's `photo.jpg_original` copy. */
  keepOriginal: boolean;
  /** Give a photo written in place a new modification time (default: keep it; photo managers sort by it). */
  updateMtime?: boolean;
  /** Last checks by the caller on the verified copy (and the tags it holds, as written); throwing keeps the original. */
  beforeCommit?: (written: string, tags: RawTags) => Promise<void>;
}

/** A photo that died mid-way through an in-place write leaves its verified new version under this name. */
export const IN_PLACE_MARKER = '.phototag-inplace-';

/**
 * Have ExifTool write a new file beside the target (`-o`, about twice as fast as an in-place write), read it
 * back, and only when every field and the image data hash check out put it in place of the target: a crash
 * or a failed check leaves the original untouched.
 *
 * The file stays what it was: a symlink is written through (its target gets the metadata, the link stays a
 * link); owner, group and mode are kept; a file with several hard links, or one whose owner cannot be given
 * to the new copy, is written in place (see commitInPlace); the modification time is kept unless asked.
 */
export async function writeVerified(tool: MetadataTool, target: WriteTarget, plan: WritePlan, options: WriteOptions): Promise<WriteReport> {
  // Through a symlink to the real file: renaming over the link would replace it with a regular copy.
  const file = target.create ? target.file : await fs.realpath(target.file);
  // In-file writes go through names that match the content (a JPEG named `.nef`).
  const names = await writeNames(file, target.file === target.photo ? target.format : undefined);
  const temp = names.temp;
  const warnings: string[] = [...plan.notes];
  let tags = plan.tags;
  // A new sidecar is made from the photo's own metadata; anything else is rewritten from itself.
  const source = target.create ? target.photo : names.source;
  // ExifTool's own warnings for the write (often about the source): reported with the result.
  const exiftoolWarnings: string[] = [];
  const repair = async (what: RawTags, stoppedOn: string[]): Promise<string[]> => {
    await fs.rm(temp, { force: true });
    const dropped = droppedValues([...stoppedOn, ...(await tool.validate(source))], what);
    if (dropped.length > 0) {
      throw new PhotoError(
        'write-failed',
        `not written: ExifTool would repair this file by dropping ${dropped.join('; ')}, which phototag does not own; the photo was left untouched`,
      );
    }
    return [...stoppedOn, ...(await tool.write(source, what, { outFile: temp, minorErrors: 'repair', sidecarCopy: target.create }))];
  };
  // First without -m, so ExifTool names every [minor] problem; a file it would have to repair is looked at
  // before it is written with -m, and refused if the repair drops another program's value.
  const write = async (what: RawTags): Promise<string[]> => {
    let written: string[];
    try {
      written = await tool.write(source, what, { outFile: temp, minorErrors: 'stop', sidecarCopy: target.create });
    } catch (error) {
      if (!/\[minor\]/iu.test(exiftoolError(error))) throw error;
      return repair(what, [exiftoolError(error)]);
    }
    const stoppedOn = written.filter((warning) => warning.startsWith('[Minor]') && !(target.create && isCopyNotice(warning)));
    return stoppedOn.length > 0 ? repair(what, stoppedOn) : written;
  };
  try {
    try {
      exiftoolWarnings.push(...(await write(tags)));
    } catch (error) {
      // Some cameras write EXIF that ExifTool refuses to rewrite; XMP and IPTC still go in.
      if (error instanceof PhotoError || !('IFD0:ImageDescription' in tags)) throw error;
      tags = Object.fromEntries(Object.entries(tags).filter(([tag]) => tag !== 'IFD0:ImageDescription'));
      await fs.rm(temp, { force: true });
      exiftoolWarnings.push(...(await write(tags)));
      warnings.push(`EXIF ImageDescription not written: ${exiftoolError(error)}`);
    }
    // The pixel check: phototag's own digest (JPEG, GIF), else ExifTool's, read with the fields in one pass.
    const checkPixels = Boolean(target.imageDataHash && target.format);
    const ownPixels = checkPixels ? await ownImageDigest(temp, target.format!) : undefined;
    const after = await tool.readBack(temp, writtenFields(tags), {
      fast: target.file === target.photo && isJpeg(target.format),
      imageDataHash: checkPixels && ownPixels === undefined,
    });
    const mismatched = verifyWrite(tags, after.tags);
    if (mismatched.length > 0) {
      const why = [...warnings, ...exiftoolWarnings];
      throw new PhotoError(
        'verify-failed',
        `read-back differs from what was written (${mismatched.join(', ')})${why.length ? `: ${why.join('; ')}` : ''}`,
      );
    }
    if (checkPixels && (ownPixels ?? (await toolImageDigest(temp, target.format!, after.imageDataHash))) !== target.imageDataHash) {
      throw new PhotoError('verify-failed', 'image data changed during the write; the original was left untouched');
    }
    // Last checks by the caller (the target did not change meanwhile, EXIF fits): throwing keeps the original.
    await options.beforeCommit?.(temp, tags);
    if (options.keepOriginal && !target.create) await fs.copyFile(file, `${file}_original`);
    // A sidecar's time tells Lightroom and darktable its metadata changed: only the photo's own time is kept.
    const keepMtime = !options.updateMtime && target.file === target.photo;
    if (target.create) await commitNew(temp, file, target.photo);
    else await commit(temp, file, keepMtime);
    return {
      fieldsWritten: Object.keys(tags)
        .filter((tag) => !plan.reencoded.includes(tag))
        .map((tag) => tag.replace(/-x-default$/u, '')),
      warnings: [...new Set([...warnings, ...exiftoolWarnings])],
    };
  } catch (error) {
    await fs.rm(temp, { force: true });
    await fs.rm(`${temp}_exiftool_tmp`, { force: true });
    if (error instanceof PhotoError) throw error;
    throw new PhotoError('write-failed', `cannot write metadata: ${exiftoolError(error)}`);
  } finally {
    await names.release();
  }
}

/** The tags verifyWrite compares, as ExifTool names them on reading (x-default is the plain name). */
function writtenFields(tags: RawTags): string[] {
  return Object.keys(tags)
    .filter((tag) => tag !== 'IPTC:CodedCharacterSet')
    .map((tag) => tag.replace(/-x-default$/u, ''));
}

/**
 * A [Minor] warning about reading the photo that changes nothing in a new sidecar: the big arrays ExifTool does
 * not decode without -m (DNG profile tables, black-level deltas: `LongBinary` tags, or unknown ones) are left
 * out of a copy, and with -m they are decoded but have no XMP tag to land in. So the sidecar is the same bytes
 * either way (tested), and neither a validation pass nor a second write is needed.
 */
function isCopyNotice(warning: string): boolean {
  return /^\[Minor\] Not decoding some large array\(s\)/u.test(warning);
}

function isJpeg(format: PhotoFormat | undefined): boolean {
  return format?.name === 'JPEG' || format?.name === 'MPO';
}

/** XMP properties phototag writes, by local name (the prefix of a namespace is the file's choice). */
const OWNED_XMP: Record<string, string> = {
  'XMP-dc:Title': 'title',
  'XMP-dc:Description': 'description',
  'XMP-dc:Subject': 'subject',
  'XMP-lr:HierarchicalSubject': 'hierarchicalsubject',
  'XMP-digiKam:TagsList': 'tagslist',
  'XMP-microsoft:LastKeywordXMP': 'lastkeywordxmp',
};

/**
 * What ExifTool's repair of a broken file would throw away that is not rewritten by this plan: a duplicate XMP
 * property keeps only one value, IPTC after a record 0 is ignored, an improperly enclosed property is lost.
 */
export function droppedValues(problems: readonly string[], tags: RawTags): string[] {
  const rewritten = new Set(
    Object.keys(tags)
      .map((tag) => OWNED_XMP[tag.replace(/-[a-zA-Z]{1,8}(-[a-zA-Z0-9-]+)?$/u, '')])
      .filter(Boolean),
  );
  const dropped = new Set<string>();
  for (const problem of problems) {
    const duplicate = /Duplicate XMP property: ([^\s/]+)/u.exec(problem);
    if (duplicate) {
      const local = duplicate[1]!.split(':').at(-1)!.toLowerCase();
      if (!rewritten.has(local)) dropped.add(`a duplicate value of XMP ${duplicate[1]}`);
    } else if (/subsequent records ignored|Improperly enclosed XMP property|Error parsing XMP/iu.test(problem)) {
      dropped.add(problem.replace(/^\[minor\] /iu, ''));
    }
  }
  return [...dropped];
}

/** Put the verified copy in the original's place, keeping owner, group, mode, links and (by default) mtime. */
export async function commit(temp: string, file: string, keepMtime: boolean): Promise<void> {
  const before = await fs.stat(file);
  const mine = await fs.stat(temp);
  let inPlace = before.nlink > 1; // a rename would split the hard links: the other names keep the old file
  if (!inPlace && (mine.uid !== before.uid || mine.gid !== before.gid)) {
    try {
      await fs.chown(temp, before.uid, before.gid);
    } catch {
      inPlace = true; // not root: only the owner's own inode keeps the owner
    }
  }
  if (inPlace) {
    await commitInPlace(temp, file);
  } else {
    await fs.chmod(temp, before.mode & 0o7777); // after chown, which clears set-id bits
    if (keepMtime) await fs.utimes(temp, before.atime, before.mtime);
    await fs.rename(temp, file);
  }
  if (inPlace && keepMtime) await fs.utimes(file, before.atime, before.mtime);
}

/**
 * Copy the verified bytes into the original inode (owner, mode, hard links and any ACL stay as they were).
 * The trade-off: a rename is atomic, this is not — a power loss during the copy can leave the photo half
 * old, half new. So the verified copy is first renamed to `.phototag-inplace-<pid>-…-NAME` beside the photo
 * and removed only after the photo is written and synced: if phototag dies in that window, that file is the
 * complete new version to copy over the photo by hand (`cp` keeps the links). The window is the time to
 * write one photo's bytes.
 */
async function commitInPlace(temp: string, file: string): Promise<void> {
  const keep = path.join(path.dirname(temp), path.basename(temp).replace(TEMP_MARKER, IN_PLACE_MARKER));
  await fs.rename(temp, keep);
  const data = await fs.readFile(keep);
  const original = await fs.readFile(file);
  const handle = await fs.open(file, 'r+');
  try {
    await overwrite(handle, data);
  } catch (error) {
    // A write that fails (a full disk) puts the old bytes back: they fit in the blocks the file already had.
    try {
      await overwrite(handle, original);
    } finally {
      await handle.close();
    }
    await fs.rm(keep, { force: true }); // only once the photo is whole again
    throw error;
  }
  await handle.close();
  await fs.rm(keep, { force: true });
}

async function overwrite(handle: fs.FileHandle, data: Buffer): Promise<void> {
  await handle.write(data, 0, data.length, 0);
  await handle.truncate(data.length);
  await handle.sync();
}

/** A new sidecar belongs to whoever owns the photo, readable as the photo is. */
async function commitNew(temp: string, file: string, photo: string): Promise<void> {
  const owner = await fs.stat(photo);
  const mine = await fs.stat(temp);
  if (mine.uid !== owner.uid || mine.gid !== owner.gid) await fs.chown(temp, owner.uid, owner.gid).catch(() => undefined);
  await fs.chmod(temp, (owner.mode & 0o666) | 0o200);
  await fs.rename(temp, file);
}
