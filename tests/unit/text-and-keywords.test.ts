import { describe, expect, it } from 'vitest';
import { mergeKeywords, normalizeKeywords } from '../../src/core/keywords.js';
import { splitList, truncateUtf8 } from '../../src/core/text.js';

describe('truncateUtf8', () => {
  it('keeps text that fits', () => {
    expect(truncateUtf8('mountain lake', 64)).toBe('mountain lake');
  });

  it('cuts Cyrillic on a character boundary within the byte limit', () => {
    const word = 'достопримечательность'.repeat(3); // 2 bytes per letter
    const cut = truncateUtf8(word, 64);
    expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(64);
    expect(cut.length).toBe(32);
    expect(cut).not.toContain('\uFFFD');
    expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut);
  });

  it('never splits a 4-byte emoji or a surrogate pair', () => {
    const cut = truncateUtf8('ab😀😀', 5);
    expect(cut).toBe('ab');
  });

  it('cuts mixed ASCII and 3-byte characters exactly at the limit', () => {
    expect(truncateUtf8('a中中', 4)).toBe('a中');
    expect(truncateUtf8('a中中', 7)).toBe('a中中');
  });
});

describe('normalizeKeywords', () => {
  it('trims, drops empties and dedupes case-insensitively keeping the first spelling and order', () => {
    expect(normalizeKeywords(['  Lake ', 'mountain', 'lake', '', 'LAKE', 'Mountain ', 'forest'], { max: 30 })).toEqual([
      'Lake',
      'mountain',
      'forest',
    ]);
  });

  it('dedupes Cyrillic case-insensitively', () => {
    expect(normalizeKeywords(['Озеро', 'озеро', 'ГОРЫ', 'горы'], { max: 30 })).toEqual(['Озеро', 'ГОРЫ']);
  });

  it('limits the count keeping the most important (first) ones', () => {
    const many = Array.from({ length: 80 }, (_, i) => `word${i}`);
    const kept = normalizeKeywords(many, { max: 30 });
    expect(kept).toHaveLength(30);
    expect(kept[0]).toBe('word0');
    expect(kept[29]).toBe('word29');
  });

  it('drops banned words and stray punctuation', () => {
    expect(normalizeKeywords(['#sunset', 'photo', 'beach,', 'AI'], { max: 10, banned: ['photo', 'ai'] })).toEqual(['sunset', 'beach']);
  });

  it('collapses inner white space', () => {
    expect(normalizeKeywords(['red \n  car'], { max: 10 })).toEqual(['red car']);
  });
});

describe('mergeKeywords', () => {
  it('keeps every existing keyword and adds only new ones', () => {
    expect(mergeKeywords(['Jupiter', 'planet'], ['jupiter', 'space', 'Planet', 'storm'])).toEqual(['Jupiter', 'planet', 'space', 'storm']);
  });
});

describe('splitList', () => {
  it('accepts commas, plus signs and spaces', () => {
    expect(splitList('en,ru')).toEqual(['en', 'ru']);
    expect(splitList('en+ru')).toEqual(['en', 'ru']);
    expect(splitList(' en , ru ')).toEqual(['en', 'ru']);
  });
});
