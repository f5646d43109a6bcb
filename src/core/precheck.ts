import fs from 'node:fs/promises';
import path from 'node:path';
import { constants as fsConstants } from 'node:fs';
import { PhotoError } from './errors.js';
import type { MetadataRead, MetadataTool, RawTags } from './exiftool.js';

export interface PrecheckInput {
  /** The photo. */
  file: string;
  /** ExifTool's read of the photo. */
  meta: MetadataRead;
  /** Where the metadata goes when it is a sidecar. */
  sidecar?: { path: string; exists: boolean };
  tool: MetadataTool;
  /** The pre-write image digest being computed (in-file writes): the write cannot be verified without it. */
  imageDigest?: Promise<{ ok: true; value: string | undefined } | { ok: false; error: unknown }>;
}

/**
 * Everything that would make the write fail, found out before the model is paid to answer: a folder or file
 * that cannot be written (read-only file system, immutable file, permissions, full disk), a write that could
 * not be verified, existing metadata ExifTool reads only in part, a sidecar that is not valid XMP.
 */
export async function precheckWrite(input: PrecheckInput): Promise<void> {
  const target = input.sidecar?.path ?? (await fs.realpath(input.file));
  await checkWritable(target, input.sidecar ? input.sidecar.exists : true);
  if (input.sidecar?.exists) {
    const read = await input.tool.read(input.sidecar.path);
    const name = path.basename(input.sidecar.path);
    const problem = read.error ?? warnings(read.tags).find((w) => /format error|not a valid/iu.test(w));
    if (read.fileType !== 'XMP' || problem) {
      throw new PhotoError(
        'corrupt',
        `sidecar ${name} is not valid XMP${problem ? ` (${problem})` : read.fileType ? ` (it reads as ${read.fileType})` : ''}: repair or move it, then tag again`,
      );
    }
    checkComplete(read.tags, `sidecar ${name}`);
  } else {
    checkComplete(input.meta.tags, 'the photo');
  }
  if (input.imageDigest) {
    const digest = await input.imageDigest;
    if (!digest.ok || !digest.value) throw new PhotoError('unreadable', 'cannot compute the image data hash needed to verify the write');
  }
}

/**
 * The write makes a temp file in the folder and replaces (or rewrites) the file: both must be possible. Asked
 * without side effects (no probe file, the folder's time unchanged): access() reports a read-only file system
 * and an immutable folder even to root. Not a full disk: that write still fails, leaving the photo untouched.
 */
async function checkWritable(target: string, exists: boolean): Promise<void> {
  const dir = path.dirname(target);
  try {
    await fs.access(dir, fsConstants.W_OK);
  } catch (error) {
    throw new PhotoError('read-only', `cannot write in ${dir}: ${why(error, 'folder')}`);
  }
  if (!exists) return;
  try {
    // Opening for writing changes nothing (no truncation, no new time) but fails as the write would.
    await (await fs.open(target, 'r+')).close();
  } catch (error) {
    throw new PhotoError('read-only', `cannot write ${path.basename(target)}: ${why(error, 'file')}`);
  }
}

/** ExifTool stops reading a list at 1000 items unless minor errors are ignored: rewriting it would drop the rest. */
function checkComplete(tags: RawTags, what: string): void {
  const cut = warnings(tags).find((w) => /Extracted only \d+/u.test(w));
  if (cut)
    throw new PhotoError(
      'unsupported',
      `${what} holds more list items than ExifTool reads (${cut.replace(/^\[minor\]\s*/iu, '').replace(/\. Ignore minor errors.*$/u, '')}); rewriting it would drop the rest, so it is left as it is`,
    );
}

function warnings(tags: RawTags): string[] {
  return Object.entries(tags)
    .filter(([key]) => key === 'warnings' || key.endsWith(':Warning'))
    .flatMap(([, value]) => (Array.isArray(value) ? value : [value]))
    .map(String);
}

function why(error: unknown, what: 'file' | 'folder'): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EROFS':
      return 'the file system is read-only';
    case 'EPERM':
      return what === 'file'
        ? 'the file is immutable or append-only (chattr -i / chflags nouchg to allow changes)'
        : 'the folder does not allow changes (immutable?)';
    case 'EACCES':
      return `permission denied (the ${what} is not writable for this user)`;
    case 'ENOSPC':
    case 'EDQUOT':
      return 'no space left on the device';
    default:
      return code ?? String(error);
  }
}
