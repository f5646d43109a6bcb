import { isBoilerplate, type CameraNames } from './boilerplate.js';
import type { RawTags } from './exiftool.js';
import { mergeKeywords } from './keywords.js';

/** IPTC-IIM blocks as ExifTool names them: the APP13 block, and AFCP/FotoStation trailers. */
export const IPTC_GROUPS = ['IPTC', 'IPTC2'] as const;

/** One IPTC block: its tags by name (no group prefix) and whether it declares UTF-8. */
export interface IptcBlock {
  tags: Record<string, unknown>;
  utf8: boolean;
}

/** What a person (or an earlier tool) already put into the photo, by meaning. */
export interface ExistingText {
  /** A title in any language, block or namespace (boilerplate does not count). */
  title?: string;
  description?: string;
  /** A headline in XMP (photoshop:Headline) or any IPTC block; stock profiles fill it with the title. */
  headline?: string;
  /** Flat keywords from XMP dc:subject, every IPTC block and Windows' XPKeywords. */
  keywords: string[];
  /** Keyword lists of other programs; undefined where the photo has none (phototag then does not create one, except HierarchicalSubject). */
  hierarchical?: string[];
  tagsList?: string[];
  lastKeywordXmp?: string[];
  /** The lang-alt has an x-default entry with real text (extra languages may be added beside it). */
  titleXDefault: boolean;
  descriptionXDefault: boolean;
  /** Titles and descriptions per language code (not x-default). */
  titleByLang: Record<string, string>;
  descriptionByLang: Record<string, string>;
  /** IPTC blocks present, by group. */
  iptc: Partial<Record<(typeof IPTC_GROUPS)[number], IptcBlock>>;
}

/** Read what is already there: every place a person's title, description or keywords can be. */
export function existingText(tags: RawTags): ExistingText {
  const camera: CameraNames = { make: text(tags['IFD0:Make']), model: text(tags['IFD0:Model']) };
  const real = (value: unknown): string | undefined => {
    const found = text(value);
    return found !== undefined && !isBoilerplate(found, camera) ? found : undefined;
  };
  const titleByLang: Record<string, string> = {};
  const descriptionByLang: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) {
    const lang = /^XMP-dc:(Title|Description)-(.+)$/u.exec(key);
    const found = lang ? real(value) : undefined;
    if (!lang || !found || lang[2] === 'x-default') continue;
    (lang[1] === 'Title' ? titleByLang : descriptionByLang)[lang[2]!.toLowerCase()] = found;
  }
  const iptc: ExistingText['iptc'] = {};
  for (const group of IPTC_GROUPS) {
    const prefix = `${group}:`;
    const blockTags = Object.fromEntries(
      Object.entries(tags)
        .filter(([key]) => key.startsWith(prefix))
        .map(([key, value]) => [key.slice(prefix.length), value]),
    );
    if (Object.keys(blockTags).length === 0) continue;
    iptc[group] = { tags: blockTags, utf8: /utf-?8|\x1b%G/iu.test(String(blockTags.CodedCharacterSet ?? '')) };
  }
  const fromIptc = (name: string) => IPTC_GROUPS.map((group) => iptc[group]?.tags[name]);
  const titleXDefault = real(tags['XMP-dc:Title']);
  const descriptionXDefault = real(tags['XMP-dc:Description']);
  return {
    title: first([titleXDefault, ...Object.values(titleByLang), ...fromIptc('ObjectName').map(real), real(tags['IFD0:XPTitle'])]),
    description: first([
      descriptionXDefault,
      ...Object.values(descriptionByLang),
      ...fromIptc('Caption-Abstract').map(real),
      real(tags['IFD0:ImageDescription']),
      real(tags['IFD0:XPSubject']),
      real(tags['IFD0:XPComment']),
    ]),
    headline: first([real(tags['XMP-photoshop:Headline']), ...fromIptc('Headline').map(real)]),
    keywords: mergeKeywords(
      [],
      [
        ...list(tags['XMP-dc:Subject']),
        ...fromIptc('Keywords').flatMap(list),
        // Windows Explorer stores its tags as one string, separated by semicolons.
        ...list(tags['IFD0:XPKeywords']).flatMap((item) => item.split(';').map((keyword) => keyword.trim())),
      ].filter((keyword) => keyword.trim() !== ''),
    ),
    hierarchical: optionalList(tags['XMP-lr:HierarchicalSubject']),
    tagsList: optionalList(tags['XMP-digiKam:TagsList']),
    lastKeywordXmp: optionalList(tags['XMP-microsoft:LastKeywordXMP']),
    titleXDefault: titleXDefault !== undefined,
    descriptionXDefault: descriptionXDefault !== undefined,
    titleByLang,
    descriptionByLang,
    iptc,
  };
}

export function isFullyTagged(existing: ExistingText): boolean {
  return Boolean(existing.title && existing.description && existing.keywords.length > 0);
}

function first(values: (string | undefined)[]): string | undefined {
  return values.find((value) => value !== undefined);
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null || typeof value === 'object') return undefined;
  const trimmed = String(value).trim();
  return trimmed === '' ? undefined : trimmed;
}

export function list(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : [value]).map((item) => String(item));
}

function optionalList(value: unknown): string[] | undefined {
  const items = list(value).filter((item) => item.trim() !== '');
  return items.length > 0 ? items : undefined;
}
