import { ExifTool } from 'exiftool-vendored';
import { errorMessage } from './errors.js';

/** Tags phototag reads before deciding what to write, and after writing to verify. */
const READ_ARGS = [
  '-G1',
  '-a',
  '-n',
  '-File:FileType',
  '-Orientation',
  '-ImageWidth',
  '-ImageHeight',
  // -all, not -Title: only that returns every language of a lang-alt tag.
  '-XMP-dc:all',
  '-XMP-lr:HierarchicalSubject',
  '-IPTC:ObjectName',
  '-IPTC:Caption-Abstract',
  '-IPTC:Keywords',
  '-IPTC:CodedCharacterSet',
  '-IPTC:ApplicationRecordVersion',
  '-IFD0:ImageDescription',
  '-ExifIFD:DateTimeOriginal',
  '-Composite:GPSLatitude',
  '-Composite:GPSLongitude',
];

export type RawTags = Record<string, unknown>;

export interface MetadataRead {
  fileType?: string;
  orientation?: number;
  width?: number;
  height?: number;
  tags: RawTags;
  error?: string;
}

export type PreviewTag = 'PreviewImage' | 'JpgFromRaw' | 'OtherImage' | 'ThumbnailImage';

/** The one adapter for ExifTool: one long-lived `-stay_open` process (per worker slot) for the whole run. */
export class MetadataTool {
  private readonly exiftool: ExifTool;

  constructor(maxProcs = 1) {
    // ignoreMinorErrors off: phototag enforces IPTC limits itself and wants every warning.
    this.exiftool = new ExifTool({ maxProcs, taskTimeoutMillis: 60_000, ignoreMinorErrors: false, useMWG: false });
  }

  async read(file: string): Promise<MetadataRead> {
    const tags = (await this.exiftool.readRaw(file, { readArgs: READ_ARGS, useMWG: false })) as RawTags;
    const errors = Array.isArray(tags.errors) ? (tags.errors as string[]) : [];
    return {
      fileType: stringOf(tags['File:FileType']),
      orientation: typeof tags['IFD0:Orientation'] === 'number' ? tags['IFD0:Orientation'] : undefined,
      width: numberEndingWith(tags, ':ImageWidth'),
      height: numberEndingWith(tags, ':ImageHeight'),
      tags,
      error: errors[0],
    };
  }

  /**
   * Write a copy of `file` with `tags` changed to `outFile` (which must not exist); `file` is not touched.
   * Returns ExifTool's warnings; throws with ExifTool's error when nothing was written.
   */
  async write(file: string, tags: RawTags, options: { outFile: string; reencodeIptc?: boolean }): Promise<string[]> {
    const writeArgs = ['-o', options.outFile];
    // Legacy IPTC without a UTF-8 marker: copy it onto itself so ExifTool re-encodes what is kept as UTF-8.
    if (options.reencodeIptc) writeArgs.push('-tagsFromFile', '@', '-IPTC:all');
    const result = await this.exiftool.write(file, tags as never, { writeArgs, ignoreMinorErrors: true, useMWG: false });
    return (result.warnings ?? []).map(cleanMessage);
  }

  /** ExifTool's digest of the image data alone; costs a full pass over the file (~85 ms for 8 MP). */
  async imageDataHash(file: string): Promise<string | undefined> {
    const tags = (await this.exiftool.readRaw(file, { readArgs: ['-G1', '-api', 'ImageHashType=SHA256', '-File:ImageDataHash'], useMWG: false })) as RawTags;
    return stringOf(tags['File:ImageDataHash']);
  }

  async extract(tag: PreviewTag, file: string): Promise<Buffer | undefined> {
    try {
      return await this.exiftool.extractBinaryTagToBuffer(tag, file);
    } catch {
      return undefined;
    }
  }

  /** ExifTool's version: starts the process and proves it answers (daemon start-up, /readyz). */
  version(): Promise<string> {
    return this.exiftool.version();
  }

  async close(): Promise<void> {
    await this.exiftool.end();
  }
}

/** ExifTool ends messages with " - /full/path"; the caller already names the file. */
export function cleanMessage(message: string): string {
  return message.replace(/^(Warning|Error): /u, '').replace(/ - \/.*$/su, '').trim();
}

export function exiftoolError(error: unknown): string {
  return cleanMessage(errorMessage(error));
}

function numberEndingWith(tags: RawTags, suffix: string): number | undefined {
  const key = Object.keys(tags).find((k) => k.endsWith(suffix) && typeof tags[k] === 'number');
  return key ? (tags[key] as number) : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
