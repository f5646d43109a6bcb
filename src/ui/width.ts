/**
 * Display width of text in a terminal's columns: a CJK character or an emoji takes two, a combining mark or a
 * zero-width joiner none, Cyrillic and Latin one. Terminals count grapheme clusters, so an emoji sequence
 * (👍🏽, 👨‍👩‍👧) is one two-column cell. No dependency: a table that counts UTF-16 units misaligns as soon as a
 * file name or a model's title is Japanese.
 */
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

const ZERO_WIDTH = /^(?:\p{Mn}|\p{Me}|\p{Cf}|[\u200b-\u200f\u2060-\u2064\ufe00-\ufe0f])+$/u;
const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\ufe0f/u;

/** East Asian Wide and Fullwidth ranges (Unicode's EastAsianWidth W/F, the blocks that matter in practice). */
function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0x303e) ||
    (code >= 0x3041 && code <= 0x33ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xa000 && code <= 0xa4cf) ||
    (code >= 0xa960 && code <= 0xa97f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe10 && code <= 0xfe19) ||
    (code >= 0xfe30 && code <= 0xfe6f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1f64f) ||
    (code >= 0x1f900 && code <= 0x1f9ff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}

function graphemeWidth(grapheme: string): number {
  if (ZERO_WIDTH.test(grapheme)) return 0;
  const code = grapheme.codePointAt(0)!;
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return 0;
  if (isWide(code) || (grapheme.length > 1 && EMOJI.test(grapheme))) return 2;
  if (EMOJI.test(grapheme) && code >= 0x1f000) return 2;
  return 1;
}

/** Columns `text` takes on a terminal (no ANSI escapes expected: callers style with ink, not by hand). */
export function displayWidth(text: string): number {
  let width = 0;
  // Plain ASCII is the common case: skip the segmenter for it.
  if (/^[\x20-\x7e]*$/u.test(text)) return text.length;
  for (const { segment } of segmenter.segment(text)) width += graphemeWidth(segment);
  return width;
}

/** `text` cut to at most `columns` columns at a grapheme boundary, with `…` when something was cut. */
export function truncateWidth(text: string, columns: number): string {
  if (columns <= 0) return '';
  if (displayWidth(text) <= columns) return text;
  let out = '';
  let width = 0;
  for (const { segment } of segmenter.segment(text)) {
    const w = graphemeWidth(segment);
    if (width + w > columns - 1) break;
    out += segment;
    width += w;
  }
  return `${out}…`;
}

/** `text` padded with spaces to `columns` columns (left-aligned, or right-aligned with `end`). */
export function padWidth(text: string, columns: number, end = false): string {
  const pad = ' '.repeat(Math.max(0, columns - displayWidth(text)));
  return end ? pad + text : text + pad;
}

/** `text` cut from the start to at most `columns` columns (`…` first): keeps a path's file name in view. */
export function truncateWidthStart(text: string, columns: number): string {
  if (columns <= 0) return '';
  if (displayWidth(text) <= columns) return text;
  const graphemes = [...segmenter.segment(text)].map((s) => s.segment);
  let out = '';
  let width = 0;
  for (let i = graphemes.length - 1; i >= 0; i--) {
    const w = graphemeWidth(graphemes[i]!);
    if (width + w > columns - 1) break;
    out = graphemes[i]! + out;
    width += w;
  }
  return `…${out}`;
}
