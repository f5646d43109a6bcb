/**
 * Characters that would let a file name (or any text from outside) change what a terminal shows: C0 and C1
 * controls (a newline forges a whole output line, ESC starts a terminal sequence, CR overwrites the line)
 * and the bidirectional overrides that reorder what follows.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

/** The text with every unsafe character written as an escape (`\n`, `\e`, `\x07`, `\u202e`), for human output lines. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const named = NAMED[ch];
    if (named) return named;
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
