import { describe, expect, it } from 'vitest';
import { boundResult, capChars, cleanText, isVisible, TEXT_LIMITS } from '../../src/core/text.js';
import { parseModelAnswer } from '../../src/core/vision/parse.js';

describe('cleanText', () => {
  it.each([
    ['Bad\u0001title\u0007', 'Badtitle'],
    ['abc\u202Edef\u200B', 'abcdef'],
    ['left\u2066iso\u2069 \u200Fmark\u200E', 'leftiso mark'],
    ['a\uFFFDb\uFEFF', 'ab'],
    ['line\r\nbreak\ttab', 'line break tab'],
    ['soft\u00ADhyphen', 'softhyphen'],
    ['hi\u{E0041}\u{E0042}', 'hi'],
    ['\u200Dlead and trail\u200C', 'lead and trail'],
  ])('strips what no one sees from %j', (input, expected) => {
    expect(cleanText(input)).toBe(expected);
  });

  it.each(['👩\u200D💻 coder', 'می\u200Cخواهم', '❤\uFE0F love', '🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} flag'])(
    'keeps joiners and selectors that shape %j',
    (text) => {
      expect(cleanText(text)).toBe(text);
    },
  );
});

describe('isVisible', () => {
  it('says an empty, blank-filler or symbol-free string is invisible', () => {
    for (const text of ['', ' ', '\u3164', '\u2800', '\u115F\u1160']) expect(isVisible(text)).toBe(false);
    for (const text of ['a', '7', '—', '€', 'озеро']) expect(isVisible(text)).toBe(true);
  });
});

describe('caps', () => {
  it('cuts at a word near the limit and never inside a surrogate pair', () => {
    expect(capChars('word '.repeat(100), 64)).toBe(Array(12).fill('word').join(' '));
    expect(Array.from(capChars('😀'.repeat(300), TEXT_LIMITS.title))).toHaveLength(200);
  });

  it('a parsed answer is capped and cleaned, and an answer of only invisible keywords is refused', () => {
    const parsed = parseModelAnswer(
      JSON.stringify({ en: { title: 'T'.repeat(1000), description: 'd\u0000', keywords: ['\u200B', 'x'.repeat(100), 'ok'] } }),
      ['en'],
    );
    expect(parsed.ok && parsed.result.en).toEqual({ title: 'T'.repeat(200), description: 'd', keywords: ['x'.repeat(64), 'ok'] });
    const invisible = parseModelAnswer(JSON.stringify({ en: { title: 't', description: 'd', keywords: ['\u200B', '\u202E'] } }), ['en']);
    expect(invisible).toEqual({ ok: false, reason: '"en": keywords: keywords are empty' });
    const blankTitle = parseModelAnswer(JSON.stringify({ en: { title: '\u200B\u3164', description: 'd', keywords: ['k'] } }), ['en']);
    expect(blankTitle.ok).toBe(false);
  });

  it('reviewed text is bounded the same way', () => {
    const bounded = boundResult({ en: { title: 'x\u202E', description: 'D'.repeat(5000), keywords: ['\u3164', 'k'] } }, ['en']);
    expect(bounded.en).toEqual({ title: 'x', description: 'D'.repeat(2000), keywords: ['k'] });
  });
});
