import { IPTC_GROUPS, list, type ExistingText } from './existing.js';
import { mergeKeywords } from './keywords.js';
import { squashSpace, truncateUtf8 } from './text.js';
import type { RawTags } from './exiftool.js';
import type { ModelResult } from './types.js';

/** IPTC-IIM limits, in bytes (exiftool-vendored does not enforce them). */
export const IPTC_LIMITS = { objectName: 64, headline: 256, caption: 2000, keyword: 64 } as const;

export interface Destination {
  /** IPTC-IIM can be written (JPEG, TIFF, never into a sidecar). */
  iptc: boolean;
  /** EXIF ImageDescription can be written (never into a sidecar). */
  exif: boolean;
}

/** Fields beyond the usual ones that a profile asks for. */
export interface ExtraFields {
  /** The title also as IPTC:Headline and XMP-photoshop:Headline (agencies' importers read it when ObjectName is absent). */
  headline?: boolean;
}

export interface WritePlan {
  tags: RawTags;
  /**
   * Tags of other programs assigned only to re-encode legacy IPTC (no UTF-8 marker) as UTF-8, value for value:
   * written and verified, but not phototag's fields.
   */
  reencoded: string[];
  /** Parts of the plan left out on purpose, and why (reported as warnings). */
  notes: string[];
}

export { existingText, isFullyTagged, type ExistingText } from './existing.js';

/**
 * Map the model's result to ExifTool tags: XMP lang-alt (x-default = primary language, one entry per extra
 * language, never an extra language without x-default), IPTC within its byte limits, EXIF ImageDescription,
 * and the keyword lists other programs read first. Unless `overwrite`, only empty fields are filled and
 * keywords are added to the ones already there.
 */
export function planWrite(
  result: ModelResult,
  languages: readonly string[],
  existing: ExistingText,
  destination: Destination,
  overwrite: boolean,
  extras: ExtraFields = {},
): WritePlan {
  const primary = result[languages[0]!]!;
  const tags: RawTags = {};
  const title = squashSpace(primary.title);
  const description = squashSpace(primary.description);

  const writeTitle = overwrite || !existing.title;
  const writeDescription = overwrite || !existing.description;
  if (writeTitle) {
    tags['XMP-dc:Title-x-default'] = title;
    if (destination.iptc) tags['IPTC:ObjectName'] = truncateUtf8(title, IPTC_LIMITS.objectName);
    // With the title only: a person's title kept means their headline (or its absence) is kept too.
    if (extras.headline && (overwrite || !existing.headline)) {
      tags['XMP-photoshop:Headline'] = title;
      if (destination.iptc) tags['IPTC:Headline'] = truncateUtf8(title, IPTC_LIMITS.headline);
    }
  }
  if (writeDescription) {
    tags['XMP-dc:Description-x-default'] = description;
    if (destination.iptc) tags['IPTC:Caption-Abstract'] = truncateUtf8(description, IPTC_LIMITS.caption);
    if (destination.exif) tags['IFD0:ImageDescription'] = description;
  }
  // Readers fall back to x-default: a lang-alt with only `ru` in it shows nothing in most of them.
  const titleAlt = writeTitle || existing.titleXDefault;
  const descriptionAlt = writeDescription || existing.descriptionXDefault;
  for (const lang of languages.slice(1)) {
    const extra = result[lang];
    if (!extra) continue;
    if (titleAlt && (overwrite || !existing.titleByLang[lang.toLowerCase()])) tags[`XMP-dc:Title-${lang}`] = squashSpace(extra.title);
    if (descriptionAlt && (overwrite || !existing.descriptionByLang[lang.toLowerCase()]))
      tags[`XMP-dc:Description-${lang}`] = squashSpace(extra.description);
  }

  Object.assign(
    tags,
    planKeywords(
      languages.flatMap((lang) => result[lang]?.keywords ?? []),
      existing,
      destination,
      overwrite,
    ),
  );
  const notes: string[] = [];
  const reencoded: string[] = [];
  if (Object.keys(tags).some((key) => key.startsWith('IPTC:'))) {
    tags['IPTC:CodedCharacterSet'] = 'UTF8';
    const legacy = reencodeLegacyIptc(existing, tags);
    if ('conflict' in legacy) {
      for (const key of Object.keys(tags)) if (key.startsWith('IPTC:')) delete tags[key];
      notes.push(
        `IPTC not written: its blocks hold different legacy-encoded ${legacy.conflict} values that a UTF-8 rewrite would merge (XMP holds the new text)`,
      );
    } else {
      Object.assign(tags, legacy.tags);
      reencoded.push(...Object.keys(legacy.tags));
    }
  }
  return { tags, reencoded, notes };
}

/**
 * Keywords: dc:subject and IPTC get the photo's keywords plus the new ones. digiKam reads the first of
 * TagsList, HierarchicalSubject, …, dc:subject it finds, and Windows LastKeywordXMP: the new keywords go into
 * those that exist, and a new HierarchicalSubject starts with the existing flat keywords.
 */
function planKeywords(generated: string[], existing: ExistingText, destination: Destination, overwrite: boolean): RawTags {
  const keywords = overwrite ? mergeKeywords([], generated) : mergeKeywords(existing.keywords, generated);
  if (!overwrite && keywords.length === existing.keywords.length) return {};
  const tags: RawTags = { 'XMP-dc:Subject': keywords };
  if (destination.iptc)
    tags['IPTC:Keywords'] = mergeKeywords(
      [],
      keywords.map((k) => truncateUtf8(k, IPTC_LIMITS.keyword)),
    );
  tags['XMP-lr:HierarchicalSubject'] =
    overwrite || !existing.hierarchical ? keywords : mergeHierarchy(existing.hierarchical, generated, '|');
  if (existing.tagsList) tags['XMP-digiKam:TagsList'] = overwrite ? keywords : mergeHierarchy(existing.tagsList, generated, '/');
  if (existing.lastKeywordXmp)
    tags['XMP-microsoft:LastKeywordXMP'] = overwrite ? keywords : mergeKeywords(existing.lastKeywordXmp, generated);
  return tags;
}

/** Add flat keywords to a hierarchical list, skipping any that is already there as a leaf (`Places|Lisbon`). */
function mergeHierarchy(existing: readonly string[], generated: readonly string[], separator: string): string[] {
  const leaves = existing.map((entry) => entry.split(separator).at(-1)!.trim());
  const merged = mergeKeywords([...existing, ...leaves], generated);
  return [...existing, ...merged.slice(existing.length + leaves.length)];
}

/**
 * Legacy IPTC (no UTF-8 marker) is about to be declared UTF-8: every value that is not plain ASCII is assigned
 * again, decoded, so it is stored as UTF-8; ASCII values stay byte for byte. ExifTool writes an assignment into
 * every IPTC block (APP13 and AFCP/FotoStation trailers), so a value that differs between blocks cannot be
 * re-encoded without merging them: that is a conflict.
 */
function reencodeLegacyIptc(existing: ExistingText, planned: RawTags): { tags: RawTags } | { conflict: string } {
  const blocks = IPTC_GROUPS.map((group) => existing.iptc[group]).filter((block) => block !== undefined);
  if (!blocks.some((block) => !block.utf8)) return { tags: {} };
  const names = new Set(blocks.filter((block) => !block.utf8).flatMap((block) => Object.keys(block.tags)));
  const tags: RawTags = {};
  for (const name of names) {
    const key = `IPTC:${name}`;
    if (key in planned) continue;
    const values = blocks.map((block) => block.tags[name]);
    if (!values.some((value, i) => !blocks[i]!.utf8 && nonAscii(value))) continue;
    const [value] = values;
    if (values.some((other) => JSON.stringify(other) !== JSON.stringify(value)) || list(value).some((item) => item.startsWith('base64:')))
      return { conflict: name };
    tags[key] = value;
  }
  return { tags };
}

function nonAscii(value: unknown): boolean {
  return list(value).some((item) => /[^\x00-\x7f]/u.test(item));
}

/** Tags whose read-back value differs from what was written: [tag, wanted, found]. */
export function verifyWrite(wanted: RawTags, found: RawTags): string[] {
  const mismatches: string[] = [];
  for (const [tag, value] of Object.entries(wanted)) {
    if (tag === 'IPTC:CodedCharacterSet') continue;
    const readKey = tag.replace(/-x-default$/u, '');
    // null: the tag was deleted (undo puts an absent field back).
    const want = value === null ? [] : Array.isArray(value) ? value : [value];
    const got = list(found[readKey]);
    if (want.length !== got.length || want.some((item, i) => String(item) !== got[i])) mismatches.push(readKey);
  }
  return mismatches;
}
