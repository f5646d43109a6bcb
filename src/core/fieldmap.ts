import { mergeKeywords } from './keywords.js';
import { squashSpace, truncateUtf8 } from './text.js';
import type { RawTags } from './exiftool.js';
import type { ModelResult } from './types.js';

/** IPTC-IIM limits, in bytes (exiftool-vendored does not enforce them). */
export const IPTC_LIMITS = { objectName: 64, caption: 2000, keyword: 64 } as const;

export interface Destination {
  /** IPTC-IIM can be written (JPEG, TIFF, never into a sidecar). */
  iptc: boolean;
  /** EXIF ImageDescription can be written (never into a sidecar). */
  exif: boolean;
}

export interface WritePlan {
  tags: RawTags;
  /** Legacy IPTC present without a UTF-8 marker: re-encode what is kept. */
  reencodeIptc: boolean;
}

/** What a person (or an earlier tool) already put into the photo, by meaning. */
export interface ExistingText {
  title?: string;
  description?: string;
  keywords: string[];
  hierarchical: string[];
  /** Titles and descriptions per language code (x-default under the primary language's slot is `title`). */
  titleByLang: Record<string, string>;
  descriptionByLang: Record<string, string>;
  iptcPresent: boolean;
  iptcUtf8: boolean;
}

/** Camera firmware fills ImageDescription with its own name; that is no description a person wrote. */
const CAMERA_FILLER = /^(|OLYMPUS DIGITAL CAMERA|SONY DSC|DIGITAL CAMERA|KONICA MINOLTA DIGITAL CAMERA|MINOLTA DIGITAL CAMERA|Exif_JPEG_PICTURE|default|Untitled|DCIM|SAMSUNG|LG Electronics|Picasa)$/iu;

export function existingText(tags: RawTags): ExistingText {
  const titleByLang: Record<string, string> = {};
  const descriptionByLang: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) {
    const lang = /^XMP-dc:(Title|Description)-(.+)$/u.exec(key);
    if (!lang || !text(value)) continue;
    (lang[1] === 'Title' ? titleByLang : descriptionByLang)[lang[2]!.toLowerCase()] = text(value)!;
  }
  const exifDescription = text(tags['IFD0:ImageDescription']);
  return {
    title: text(tags['XMP-dc:Title']) ?? text(tags['IPTC:ObjectName']),
    description:
      text(tags['XMP-dc:Description']) ??
      text(tags['IPTC:Caption-Abstract']) ??
      (exifDescription && !CAMERA_FILLER.test(exifDescription) ? exifDescription : undefined),
    keywords: mergeKeywords(list(tags['XMP-dc:Subject']), list(tags['IPTC:Keywords'])),
    hierarchical: list(tags['XMP-lr:HierarchicalSubject']),
    titleByLang,
    descriptionByLang,
    iptcPresent: Object.keys(tags).some((key) => key.startsWith('IPTC:')),
    iptcUtf8: /utf8|\x1b%G/iu.test(String(tags['IPTC:CodedCharacterSet'] ?? '')),
  };
}

export function isFullyTagged(existing: ExistingText): boolean {
  return Boolean(existing.title && existing.description && existing.keywords.length > 0);
}

/**
 * Map the model's result to ExifTool tags: XMP lang-alt (x-default = primary language, one entry per extra
 * language), IPTC within its byte limits, EXIF ImageDescription. Unless `overwrite`, only empty fields are
 * filled and keywords are added to the ones already there.
 */
export function planWrite(result: ModelResult, languages: readonly string[], existing: ExistingText, destination: Destination, overwrite: boolean): WritePlan {
  const primary = result[languages[0]!]!;
  const tags: RawTags = {};
  const title = squashSpace(primary.title);
  const description = squashSpace(primary.description);

  if (overwrite || !existing.title) {
    tags['XMP-dc:Title-x-default'] = title;
    if (destination.iptc) tags['IPTC:ObjectName'] = truncateUtf8(title, IPTC_LIMITS.objectName);
  }
  if (overwrite || !existing.description) {
    tags['XMP-dc:Description-x-default'] = description;
    if (destination.iptc) tags['IPTC:Caption-Abstract'] = truncateUtf8(description, IPTC_LIMITS.caption);
    if (destination.exif) tags['IFD0:ImageDescription'] = description;
  }
  for (const lang of languages.slice(1)) {
    const extra = result[lang];
    if (!extra) continue;
    if (overwrite || !existing.titleByLang[lang]) tags[`XMP-dc:Title-${lang}`] = squashSpace(extra.title);
    if (overwrite || !existing.descriptionByLang[lang]) tags[`XMP-dc:Description-${lang}`] = squashSpace(extra.description);
  }

  const generated = languages.flatMap((lang) => result[lang]?.keywords ?? []);
  const keywords = overwrite ? mergeKeywords([], generated) : mergeKeywords(existing.keywords, generated);
  const hierarchical = overwrite ? mergeKeywords([], generated) : mergeKeywords(existing.hierarchical, generated);
  if (overwrite || keywords.length > existing.keywords.length || hierarchical.length > existing.hierarchical.length) {
    tags['XMP-dc:Subject'] = keywords;
    tags['XMP-lr:HierarchicalSubject'] = hierarchical;
    if (destination.iptc) tags['IPTC:Keywords'] = mergeKeywords([], keywords.map((k) => truncateUtf8(k, IPTC_LIMITS.keyword)));
  }
  const writesIptc = Object.keys(tags).some((key) => key.startsWith('IPTC:'));
  if (writesIptc) tags['IPTC:CodedCharacterSet'] = 'UTF8';
  return { tags, reencodeIptc: writesIptc && existing.iptcPresent && !existing.iptcUtf8 };
}

/** Tags whose read-back value differs from what was written: [tag, wanted, found]. */
export function verifyWrite(wanted: RawTags, found: RawTags): string[] {
  const mismatches: string[] = [];
  for (const [tag, value] of Object.entries(wanted)) {
    if (tag === 'IPTC:CodedCharacterSet') continue;
    const readKey = tag.replace(/-x-default$/u, '');
    const want = Array.isArray(value) ? value : [value];
    const got = list(found[readKey]);
    if (want.length !== got.length || want.some((item, i) => String(item) !== got[i])) mismatches.push(readKey);
  }
  return mismatches;
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const trimmed = String(value).trim();
  return trimmed === '' ? undefined : trimmed;
}

function list(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : [value]).map((item) => String(item));
}
