import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ExifTool, exiftoolPath } from 'exiftool-vendored';
import { withArgPath } from './arg-path.js';
import { errorMessage } from './errors.js';

/**
 * Runs ExifTool in this very process (same pid, so exiftool-vendored's bookkeeping holds) after forking a watchdog
 * that ends it once phototag is gone. `-stay_open True -@ -` does not exit at the end of its input (it polls for
 * more), so after a `kill -9` or the OOM killer it would live on forever under PID 1. Gone means: ExifTool's
 * parent is no longer phototag (the kernel reparents it at once, even while phototag is an unreaped zombie).
 * It runs in a session of its own: Ctrl-C at a terminal signals the whole foreground process group, and ExifTool
 * must not die in the middle of a photo's write while phototag lets the photos in progress finish.
 */
const GUARD = `
my ($tool, @args) = @ARGV;
my $phototag = getppid();
my $self = $$;
my $watchdog = fork();
if (defined $watchdog && $watchdog == 0) {
  open(STDIN, '<', '/dev/null'); open(STDOUT, '>', '/dev/null'); open(STDERR, '>', '/dev/null');
  while (1) {
    sleep 1;
    exit 0 if getppid() != $self;
    my $parent = $phototag;
    if (open(my $stat, '<', "/proc/$self/stat")) { my $line = <$stat>; close $stat; $parent = (split(' ', substr($line, rindex($line, ')') + 2)))[1]; }
    elsif (!kill(0, $phototag)) { $parent = 1; }
    next if $parent == $phototag;
    kill 'TERM', $self; sleep 2; kill 'KILL', $self; exit 0;
  }
}
exec($^X, $tool, @args) or die "cannot run $tool: $!";
`;

const PERL = fs.existsSync('/usr/bin/perl') ? '/usr/bin/perl' : 'perl';

/**
 * phototag's ExifTool config (exiftool/phototag.config in the package; src/core and dist/core are both two levels
 * down): a cheaper copy of a RAW's tags into a new sidecar, same bytes (see `write`'s `sidecarCopy`). Without it
 * ExifTool does the full copy, only slower.
 */
export const EXIFTOOL_CONFIG = path.join(__dirname, '..', '..', 'exiftool', 'phototag.config');
const STAY_OPEN_ARGS = [...(fs.existsSync(EXIFTOOL_CONFIG) ? ['-config', EXIFTOOL_CONFIG] : []), '-stay_open', 'True', '-@', '-'];

/** exiftool-vendored's own spawn, with the watchdog in front (not on Windows, where it runs exiftool.exe). */
async function guardedExifTool(): Promise<ChildProcess> {
  const tool = await exiftoolPath();
  return spawn(PERL, ['-e', GUARD, '--', tool, ...STAY_OPEN_ARGS], {
    stdio: 'pipe',
    shell: false,
    detached: true,
    env: guardEnv(),
  });
}

/** What exiftool-vendored gives ExifTool (LANG=C, EXIFTOOL_HOME), plus PATH to find perl. */
function guardEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { LANG: 'C' };
  if (process.env.PATH) env.PATH = process.env.PATH;
  if (process.env.EXIFTOOL_HOME) env.EXIFTOOL_HOME = process.env.EXIFTOOL_HOME;
  return env;
}

/** Tags phototag reads before deciding what to write, and after writing to verify. */
const READ_ARGS = [
  '-G1',
  '-a',
  '-n',
  // Text that is not valid UTF-8 (legacy IPTC without a charset marker, Latin-1 EXIF) comes as `base64:` bytes
  // instead of `?`, and is decoded in `read` (UTF-8 where valid, else Windows-1252): one read, no guessing twice.
  '-b',
  '-charset',
  'iptc=UTF8',
  '-File:FileType',
  // ExifTool's read warnings: a damaged structure (`Bad Photoshop IRB resource`) may refuse a write.
  '-ExifTool:Warning',
  '-Orientation',
  '-ImageWidth',
  '-ImageHeight',
  // -all, not -Title: only that returns every language of a lang-alt tag.
  '-XMP-dc:all',
  '-XMP-lr:HierarchicalSubject',
  '-XMP-digiKam:TagsList',
  '-XMP-microsoft:LastKeywordXMP',
  // The headline stock profiles fill (IPTC:Headline comes with -IPTC:all).
  '-XMP-photoshop:Headline',
  // Every IPTC block: group IPTC (APP13) and IPTC2 (AFCP/FotoStation trailers).
  '-IPTC:all',
  '-IFD0:ImageDescription',
  '-IFD0:XPTitle',
  '-IFD0:XPSubject',
  '-IFD0:XPComment',
  '-IFD0:XPKeywords',
  '-IFD0:Make',
  '-IFD0:Model',
  '-ExifIFD:DateTimeOriginal',
  '-Composite:GPSLatitude',
  '-Composite:GPSLongitude',
  // Read warnings say when a read was partial ("Extracted only 1000 dc:subject items", a malformed sidecar).
  '-ExifTool:Warning',
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
    this.exiftool = new ExifTool({
      maxProcs,
      taskTimeoutMillis: 60_000,
      ignoreMinorErrors: false,
      useMWG: false,
      ...(process.platform === 'win32' ? { exiftoolArgs: STAY_OPEN_ARGS } : { processFactory: guardedExifTool }),
    });
    // batch-cluster turns each stdout chunk into a string on its own, so a UTF-8 character split between two
    // chunks (long Cyrillic text in an answer over ~8 KB) became two U+FFFD and the read-back never matched.
    // Decoding the streams as UTF-8 keeps split characters whole (binary comes as base64 in JSON).
    this.exiftool.on('childStart', (child) => {
      child.proc.stdout?.setEncoding('utf8');
      child.proc.stderr?.setEncoding('utf8');
    });
  }

  /**
   * `fast`: the file is a JPEG with nothing after its image data (see hashPhoto's plainJpeg). ExifTool then
   * skips the scan for trailers (there are none) and the maker notes (none of the tags read here live there):
   * about half the time of a camera JPEG's read, the same tags.
   */
  async read(file: string, options: { fast?: boolean } = {}): Promise<MetadataRead> {
    const readArgs = options.fast ? ['-fast2', ...READ_ARGS] : READ_ARGS;
    const tags = decodeBytes((await withArgPath(file, (arg) => this.exiftool.readRaw(arg, { readArgs, useMWG: false }))) as RawTags);
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
   * Returns ExifTool's warnings; throws with ExifTool's error when nothing was written. With `minorErrors:
   * 'stop'` ExifTool reports every `[minor]` problem and leaves a directory it would have to repair as it was
   * (its warning then starts with `[Minor]`); with 'repair' (-m) it repairs silently. `sidecarCopy`: `outFile` is a
   * new XMP sidecar made from `file` (a photo): phototag.config then skips the photo's tags that cannot reach XMP.
   */
  async write(
    file: string,
    tags: RawTags,
    options: { outFile: string; minorErrors: 'stop' | 'repair'; sidecarCopy?: boolean },
  ): Promise<string[]> {
    const result = await withArgPath(file, (arg) =>
      this.exiftool.write(arg, escapeEntities(tags) as never, {
        // -a: ExifTool prints every warning of the write, not only the first (the output file is the same).
        // The user parameter is set on every write: ExifTool keeps one from an earlier command of the same process.
        writeArgs: ['-a', '-userParam', `PhototagSidecarCopy=${options.sidecarCopy ? 1 : 0}`, '-o', options.outFile],
        ignoreMinorErrors: options.minorErrors === 'repair',
        useMWG: false,
      }),
    );
    return (result.warnings ?? []).map(cleanMessage);
  }

  /**
   * The check after a write: only the `fields` written (`XMP-dc:Title-ru`, `IPTC:Keywords`, …) read back as
   * `read` reads them, and ExifTool's ImageDataHash in the same pass when the pixel check needs it. `fast`: a
   * JPEG (written fields live in its APP segments, never in a trailer or the maker notes).
   */
  async readBack(
    file: string,
    fields: readonly string[],
    options: { fast: boolean; imageDataHash: boolean },
  ): Promise<{ tags: RawTags; imageDataHash?: string }> {
    const readArgs = [
      ...(options.fast ? ['-fast2'] : []),
      '-G1',
      '-a',
      '-n',
      '-b',
      '-charset',
      'iptc=UTF8',
      ...fields.map((field) => `-${field}`),
      ...(options.imageDataHash ? ['-api', 'ImageHashType=SHA256', '-File:ImageDataHash'] : []),
    ];
    const tags = decodeBytes((await withArgPath(file, (arg) => this.exiftool.readRaw(arg, { readArgs, useMWG: false }))) as RawTags);
    return { tags, imageDataHash: options.imageDataHash ? stringOf(tags['File:ImageDataHash']) : undefined };
  }

  /** Every problem ExifTool's validator finds in `file` (one extra pass; only for files a write stopped on). */
  async validate(file: string): Promise<string[]> {
    const tags = (await withArgPath(file, (arg) =>
      this.exiftool.readRaw(arg, { readArgs: ['-G4', '-a', '-validate', '-Warning'], useMWG: false }),
    )) as RawTags;
    return Object.entries(tags)
      .filter(([key, value]) => /(^|:)Warning$/u.test(key) && typeof value === 'string')
      .map(([, value]) => value as string);
  }

  /** ExifTool's digest of the image data alone; costs a full pass over the file (~85 ms for 8 MP). */
  async imageDataHash(file: string): Promise<string | undefined> {
    const tags = (await withArgPath(file, (arg) =>
      this.exiftool.readRaw(arg, { readArgs: ['-G1', '-api', 'ImageHashType=SHA256', '-File:ImageDataHash'], useMWG: false }),
    )) as RawTags;
    return stringOf(tags['File:ImageDataHash']);
  }

  async extract(tag: PreviewTag, file: string): Promise<Buffer | undefined> {
    try {
      return await withArgPath(file, (arg) => this.exiftool.extractBinaryTagToBuffer(tag, arg));
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
  return message
    .replace(/^(Warning|Error): /u, '')
    .replace(/ - \/.*$/su, '')
    .trim();
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

/**
 * exiftool-vendored writes with `-E` (ExifTool decodes HTML entities in the values) but leaves `&` as it is,
 * so a keyword `R&amp;B` would be stored as `R&B`. Escaping `&` makes every value arrive byte for byte.
 */
function escapeEntities(tags: RawTags): RawTags {
  const escape = (value: unknown): unknown =>
    typeof value === 'string' ? value.replace(/&/gu, '&amp;') : Array.isArray(value) ? value.map(escape) : value;
  return Object.fromEntries(Object.entries(tags).map(([key, value]) => [key, escape(value)]));
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const WINDOWS_1252 = new TextDecoder('windows-1252');

/** Turn ExifTool's `base64:` values (text that is not valid UTF-8) back into text; real binary data stays as it came. */
function decodeBytes(tags: RawTags): RawTags {
  const decode = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(decode);
    if (typeof value !== 'string' || !value.startsWith('base64:')) return value;
    const bytes = Buffer.from(value.slice('base64:'.length), 'base64');
    // Control characters other than tab and line breaks mean data, not text.
    if (bytes.some((byte) => byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d)) return value;
    try {
      return UTF8.decode(bytes);
    } catch {
      return WINDOWS_1252.decode(bytes);
    }
  };
  return Object.fromEntries(Object.entries(tags).map(([key, value]) => [key, decode(value)]));
}
