import { spawnSync } from 'node:child_process';
import { ExifTool } from 'exiftool-vendored';

let plain: ExifTool | undefined;
/**
 * An ExifTool that never runs `-use MWG`: once a process has loaded MWG it adds MWG composites to every read and
 * skips IPTC in file trailers (group IPTC2).
 */
export function plainExifTool(): ExifTool {
  plain ??= new ExifTool({ maxProcs: 1, useMWG: false });
  return plain;
}

export async function closePlainExifTool(): Promise<void> {
  await plain?.end();
  plain = undefined;
}

/**
 * Fields phototag owns (it may fill, extend or re-encode them), as ExifTool (-G1) and exiv2 name them. Everything
 * else a photo carries must come back from a write value for value.
 */
const OWNED_EXIFTOOL = [
  /^XMP-dc:(Title|Description)(-.+)?$/u,
  /^XMP-dc:Subject$/u,
  /^XMP-lr:HierarchicalSubject$/u,
  /^XMP-digiKam:TagsList$/u,
  /^XMP-microsoft:LastKeywordXMP$/u,
  /^IPTC2?:(ObjectName|Caption-Abstract|Keywords|CodedCharacterSet)$/u,
  /^IFD0:ImageDescription$/u,
  // Written by ExifTool itself, or positions in the file that move when it grows.
  /^XMP-x:XMPToolkit$/u,
  /^(File|System|ExifTool|Composite):/u,
  /(Offset|Offsets|ByteCounts|Start|Length|StripOffsets)$/u,
  /^JFIF:/u,
];
const OWNED_EXIV2 = [
  /^Xmp\.dc\.(title|description|subject)$/u,
  /^Xmp\.lr\.hierarchicalSubject$/u,
  /^Xmp\.digiKam\.TagsList$/u,
  /^Xmp\.MicrosoftPhoto\.LastKeywordXMP$/u,
  /^Iptc\.Application2\.(ObjectName|Caption|Keywords)$/u,
  /^Iptc\.Envelope\.CharacterSet$/u,
  /^Exif\.Image\.ImageDescription$/u,
  /^Xmp\.x\.xmptk$/u,
  // Pointers to where the EXIF sub-directories and thumbnail now start.
  /^Exif\.(Image\.(ExifTag|GPSTag)|Photo\.InteroperabilityTag|Thumbnail\.JPEGInterchangeFormat|Image\.JPEGInterchangeFormat)$/u,
];

/** Every tag ExifTool reads (-a -G1, raw values, no MWG composites: `-use MWG` also hides trailers), keyed `group:name`. */
export async function allTags(file: string): Promise<Record<string, unknown>> {
  const tags = (await plainExifTool().readRaw(file, { readArgs: ['-G1', '-a', '-n', '-all'], useMWG: false })) as Record<string, unknown>;
  delete tags.SourceFile;
  delete tags.errors;
  delete tags.warnings;
  return tags;
}

/** exiv2's view: key → values (a repeated key collects every value). */
export function exiv2Tags(file: string): Map<string, string[]> {
  const result = spawnSync('exiv2', ['-q', '-pa', file], { encoding: 'utf8' });
  if (result.error) throw new Error(`exiv2 is needed for this test (apt-get install exiv2): ${result.error.message}`);
  const tags = new Map<string, string[]>();
  for (const line of result.stdout.split('\n')) {
    const match = /^(\S+)\s+\S+\s+\d+\s*(.*)$/u.exec(line);
    if (!match) continue;
    tags.set(match[1]!, [...(tags.get(match[1]!) ?? []), match[2]!]);
  }
  return tags;
}

/** Tags another program wrote that a write lost or changed, by ExifTool: `tag: before → after`. */
export function lostOrChanged(before: Record<string, unknown>, after: Record<string, unknown>, alsoOwned: RegExp[] = []): string[] {
  const owned = [...OWNED_EXIFTOOL, ...alsoOwned];
  return Object.entries(before)
    .filter(([tag]) => !owned.some((pattern) => pattern.test(tag)))
    .filter(([tag, value]) => JSON.stringify(after[tag]) !== JSON.stringify(value))
    .map(([tag, value]) => `${tag}: ${JSON.stringify(value)} → ${JSON.stringify(after[tag])}`);
}

/** The same by exiv2, an independent reader. */
export function lostOrChangedExiv2(before: Map<string, string[]>, after: Map<string, string[]>, alsoOwned: RegExp[] = []): string[] {
  const owned = [...OWNED_EXIV2, ...alsoOwned];
  return [...before]
    .filter(([key]) => !owned.some((pattern) => pattern.test(key)))
    .filter(([key, values]) => JSON.stringify(after.get(key)) !== JSON.stringify(values))
    .map(([key, values]) => `${key}: ${JSON.stringify(values)} → ${JSON.stringify(after.get(key))}`);
}
