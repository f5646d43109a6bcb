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
