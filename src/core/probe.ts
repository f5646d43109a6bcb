import fs from 'node:fs/promises';
import { PhotoError } from './errors.js';
import { exiftoolError, type MetadataTool, type RawTags } from './exiftool.js';
import type { PhotoFormat } from './formats.js';
import { writeNames } from './write-names.js';

/** Said wherever ExifTool refuses to write into a file: a sidecar still carries the metadata. */
export const SIDECAR_HINT = '--sidecar writes an XMP sidecar beside it instead';

export interface ProbeResult {
  /** IPTC can go in (false: ExifTool refuses the block that holds it, e.g. a bad Photoshop IRB). */
  iptc: boolean;
  /** Said with the result when a part of the metadata cannot be written. */
  warning?: string;
}

/**
 * A photo whose structure ExifTool warned about on reading (`Bad Photoshop IRB resource`, a truncated
 * `mdat`) may be refused on writing. Find that out with throw-away writes before the model is paid, not
 * after: XMP with IPTC, and if that is refused, XMP alone (what can be written is written, and the result
 * says what was left out). Only a file that takes no XMP at all fails, naming `--sidecar`.
 */
export async function probeInFileWrite(tool: MetadataTool, file: string, format: PhotoFormat): Promise<ProbeResult> {
  const xmp: RawTags = { 'XMP-dc:Title-x-default': 'phototag write probe' };
  let refusal: string | undefined;
  if (format.iptc) {
    refusal = await tryWrite(tool, file, format, { ...xmp, 'IPTC:ObjectName': 'phototag write probe' });
    if (!refusal) return { iptc: true };
  }
  const xmpRefusal = await tryWrite(tool, file, format, xmp);
  if (xmpRefusal) throw new PhotoError('write-failed', `ExifTool cannot write into this file (${xmpRefusal}); ${SIDECAR_HINT}`);
  return refusal ? { iptc: false, warning: `IPTC not written: ${refusal}` } : { iptc: format.iptc };
}

/** ExifTool's error for writing `tags` into a temp copy of `file`, or undefined when it wrote. */
async function tryWrite(tool: MetadataTool, file: string, format: PhotoFormat, tags: RawTags): Promise<string | undefined> {
  const names = await writeNames(file, format);
  try {
    // As the real write ends up (-m): a problem ExifTool can repair is no refusal.
    await tool.write(names.source, tags, { outFile: names.temp, minorErrors: 'repair' });
    return undefined;
  } catch (error) {
    return exiftoolError(error);
  } finally {
    await fs.rm(names.temp, { force: true });
    await fs.rm(`${names.temp}_exiftool_tmp`, { force: true });
    await names.release();
  }
}
