import type { ModelResult } from './types.js';

/** Cut `text` to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end).trimEnd();
}

/** Collapse runs of white space (including newlines from a model) to single spaces. */
export function squashSpace(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

/** "en,ru", "en+ru" or "en ru" → ["en", "ru"]. */
export function splitList(raw: string): string[] {
  return raw
    .split(/[,+\s]+/u)
    .map((part) => part.trim())
    .filter(Boolean);
}

/**
 * Caps on what phototag writes, in characters (code points), whatever the model sent: a 100 KB title made EXIF
 * multi-segment (other readers then lose maker notes and thumbnail); a 10 MB description made a 262 KB JPEG
 * 20 MB. Keyword counts are capped by `--max-keywords` (≤ 200) and the stock profiles.
 */
export const TEXT_LIMITS = { title: 200, description: 2000, keyword: 64, keywords: 200 } as const;

// Never shown, and harmful in metadata: C0/C1 controls (ExifTool refuses them outright), bidi embeddings,
// overrides, isolates and marks (they reorder what a reader sees), zero-width spaces, word joiners, the BOM,
// soft hyphens, invisible operators, U+FFFD (the sign of a decoding error upstream) and lone surrogates.
const INVISIBLE =
  /[\p{Cc}\u00AD\u034F\u061C\u17B4\u17B5\u180E\u200B\u200E\u200F\u202A-\u202E\u2060-\u206F\uFEFF\uFFF9-\uFFFD\uD800-\uDFFF]/gu;
// Joiners shape Persian, Indic and emoji sequences (👩‍💻) and variation selectors pick an emoji's look (❤️):
// they mean something only after (joiners: between) visible characters; stray ones are invisible.
const SHAPER = String.raw`[\p{L}\p{M}\p{N}\p{S}\p{Extended_Pictographic}\p{Emoji_Component}]`;
const STRAY_SHAPER = new RegExp(String.raw`(?<!${SHAPER})[\u200C\u200D\uFE00-\uFE0F]+|[\u200C\u200D]+(?!${SHAPER})`, 'gu');
// Unicode tag characters are invisible ("ASCII smuggling") except inside a subdivision flag (🏴 + tags).
const STRAY_TAG = /(?<!\u{1F3F4}[\u{E0020}-\u{E007E}]*)[\u{E0000}-\u{E007F}]/gu;

/**
 * Model text made safe to write: line breaks and tabs become spaces, invisible and reordering characters go,
 * white space is squashed.
 */
export function cleanText(text: string): string {
  const spaced = text
    .replace(/[\t\n\r\v\f\u0085\u2028\u2029]/gu, ' ')
    .replace(INVISIBLE, '')
    .replace(STRAY_TAG, '');
  return squashSpace(spaced.replace(STRAY_SHAPER, ''));
}

/** Whether a person would see anything: at least one letter, digit, mark, punctuation or symbol that is not blank. */
export function isVisible(text: string): boolean {
  return /[\p{L}\p{N}\p{P}\p{S}]/u.test(text.replace(/[\u115F\u1160\u3164\uFFA0\u2800]/gu, ''));
}

/** Cut to at most `max` characters (code points), at a word boundary when one is near, never inside a surrogate pair. */
export function capChars(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const cut = chars.slice(0, max).join('');
  const space = cut.lastIndexOf(' ');
  return (space > cut.length * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:–-]+$/u, '');
}

/** Every language's text within TEXT_LIMITS and free of invisible characters, whoever wrote it; invisible keywords go. */
export function boundResult(result: ModelResult, languages: readonly string[]): ModelResult {
  const bounded: ModelResult = { ...result };
  for (const lang of languages) {
    const entry = result[lang];
    if (!entry) continue;
    bounded[lang] = {
      title: capChars(cleanText(entry.title), TEXT_LIMITS.title),
      description: capChars(cleanText(entry.description), TEXT_LIMITS.description),
      keywords: entry.keywords
        .map((k) => capChars(cleanText(k), TEXT_LIMITS.keyword))
        .filter(isVisible)
        .slice(0, TEXT_LIMITS.keywords),
    };
  }
  return bounded;
}
