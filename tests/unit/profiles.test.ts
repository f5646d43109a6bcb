import { describe, expect, it } from 'vitest';
import { PhotoError } from '../../src/core/errors.js';
import { parseCsv, toCsv } from '../../src/core/csv.js';
import { applyProfile, cutAtWord, mergePlurals } from '../../src/core/profiles.js';
import { readReviewCsv, reviewCsv } from '../../src/core/review.js';
import { exportCsv, EXPORT_HEADERS } from '../../src/core/export.js';

const many = (n: number) => Array.from({ length: n }, (_, i) => `keyword${i}`);
const answer = (en: Partial<{ title: string; description: string; keywords: string[] }>, ru?: { keywords: string[] }) => ({
  en: { title: 'A red barn in a misty field at dawn', description: 'A red barn stands in a misty field.', keywords: many(10), ...en },
  ...(ru ? { ru: { title: 'Амбар', description: 'Красный амбар.', keywords: ru.keywords } } : {}),
});
const options = (profile: 'generic' | 'adobe-stock' | 'shutterstock', extra: Partial<Parameters<typeof applyProfile>[1]> = {}) => ({
  profile,
  languages: ['en'],
  maxKeywords: 200,
  banned: [],
  required: [],
  ...extra,
});

describe('stock profiles against adversarial model output', () => {
  it('adobe-stock cuts a long title at a word and keeps at most 49 keywords, first ones first', () => {
    const title = 'An extraordinarily long and detailed title that goes on about a red barn in a misty field at dawn in autumn';
    const shaped = applyProfile(answer({ title, keywords: many(80) }), options('adobe-stock'));
    expect(shaped.en!.title.length).toBeLessThanOrEqual(70);
    expect(title.startsWith(shaped.en!.title)).toBe(true);
    expect(shaped.en!.title).not.toMatch(/\s$/);
    expect(shaped.en!.keywords).toHaveLength(49);
    expect(shaped.en!.keywords[0]).toBe('keyword0');
  });

  it('merges duplicates in any case, singular/plural twins, and drops brands and filler', () => {
    const keywords = [
      'Barn',
      'barn',
      'BARNS',
      'city',
      'cities',
      'box',
      'boxes',
      'glass',
      'Photo',
      'image',
      'AI',
      'ChatGPT',
      'Nike',
      'iPhone',
      '2024',
      '2024',
      'field',
      'fields',
      'dawn',
      'farm',
      'rural',
    ];
    const shaped = applyProfile(answer({ keywords }), options('shutterstock'));
    expect(shaped.en!.keywords).toEqual(['Barn', 'city', 'box', 'glass', '2024', 'field', 'dawn', 'farm', 'rural']);
  });

  it('keeps keywords in one language only for the agencies, every language for generic', () => {
    const input = answer({}, { keywords: ['амбар', 'ферма'] });
    expect(applyProfile(input, options('adobe-stock', { languages: ['en', 'ru'] })).ru!.keywords).toEqual([]);
    expect(applyProfile(input, options('generic', { languages: ['en', 'ru'] })).ru!.keywords).toEqual(['амбар', 'ферма']);
  });

  it('shutterstock cuts the description to 200 characters and needs English first', () => {
    const description = `${'A red barn in a field. '.repeat(20)}End.`;
    expect(applyProfile(answer({ description }), options('shutterstock')).en!.description.length).toBeLessThanOrEqual(200);
    expect(() => applyProfile({ ru: answer({}).en }, options('shutterstock', { languages: ['ru'] }))).toThrow(
      /needs en as the first language/,
    );
  });

  it('fails the photo when too few keywords remain, rather than writing it', () => {
    const error = (() => {
      try {
        applyProfile(answer({ keywords: ['barn', 'barns', 'Barn', 'photo', 'image', 'field', 'sky'] }), options('shutterstock'));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PhotoError);
    expect((error as PhotoError).kind).toBe('invalid-output');
    expect((error as Error).message).toBe(
      "shutterstock needs at least 7 keywords; after removing duplicates, banned words and words in another language's script the model's answer has 3",
    );
  });

  it('adds required and per-folder keywords first, and honours the user ban list in every profile', () => {
    const shaped = applyProfile(
      answer({ keywords: ['barn', 'secret project', 'field'] }),
      options('generic', { required: ['Lisbon', 'barn'], banned: ['secret project'] }),
    );
    expect(shaped.en!.keywords).toEqual(['Lisbon', 'barn', 'field']);
  });

  it('cuts at a word boundary', () => {
    expect(cutAtWord('one two three four', 9)).toBe('one two');
    expect(cutAtWord('short', 70)).toBe('short');
    expect(mergePlurals(['party', 'parties', 'bus', 'buses', 'class'])).toEqual(['party', 'bus', 'class']);
  });
});

describe('CSV', () => {
  const tricky = [
    ['file', 'text'],
    ['/photos/a, b.jpg', 'He said "hello", then left'],
    ['/photos/фото.jpg', 'Строка один\nстрока два'],
    ['/photos/c.jpg', ''],
  ];

  it('round-trips commas, quotes, newlines and Cyrillic', () => {
    const text = toCsv(tricky);
    expect(text).toContain('"He said ""hello"", then left"');
    expect(parseCsv(text)).toEqual(tricky);
    expect(parseCsv(`\uFEFF${text}`)).toEqual(tricky);
  });

  it('a review CSV reads back to the same proposals, and a broken row is refused', () => {
    const outcomes = [
      {
        file: '/p/a, "b".jpg',
        status: 'done' as const,
        durationMs: 1,
        hash: 'a'.repeat(64),
        result: {
          en: { title: 'T, "q"', description: 'Line 1\nLine 2', keywords: ['x', 'y z'] },
          ru: { title: 'Т', description: 'Д', keywords: ['ключ'] },
        },
      },
    ];
    const text = reviewCsv(outcomes, ['en', 'ru']);
    const { languages, proposals } = readReviewCsv(text, 'review.csv');
    expect(languages).toEqual(['en', 'ru']);
    expect(proposals.get('/p/a, "b".jpg')).toEqual({ hash: 'a'.repeat(64), result: outcomes[0]!.result });
    expect(() => readReviewCsv(text.replace('"T, ""q"""', 'T, "q"'), 'review.csv')).toThrow(
      /review\.csv, line 2: \d+ cells, the header has 9/,
    );
    expect(() => readReviewCsv('a,b\n1,2\n', 'x.csv')).toThrow(/not a phototag review CSV/);
  });

  it('exports each site with its exact headers and limits', () => {
    const rows = [
      {
        path: '/lib/barn.jpg',
        result: {
          en: {
            title: 'A very long title about a red barn standing alone in a misty field at dawn, with geese',
            description: 'x'.repeat(300),
            keywords: many(60),
          },
        },
      },
      { path: '/lib/few.jpg', result: { en: { title: 'Few', description: 'Few keywords', keywords: many(3) } } },
    ];
    const adobe = exportCsv(rows, 'adobe-stock');
    const adobeRows = parseCsv(adobe.csv);
    expect(adobeRows[0]).toEqual(['Filename', 'Title', 'Keywords', 'Category', 'Releases']);
    expect(adobeRows[1]![0]).toBe('barn.jpg');
    expect(adobeRows[1]![1]!.length).toBeLessThanOrEqual(70);
    expect(adobeRows[1]![2]!.split(', ')).toHaveLength(49);
    const shutter = exportCsv(rows, 'shutterstock');
    const shutterRows = parseCsv(shutter.csv);
    expect(shutterRows[0]).toEqual(EXPORT_HEADERS.shutterstock);
    expect(shutterRows[1]![1]!.length).toBeLessThanOrEqual(200);
    expect(shutterRows[1]![2]!.split(',')).toHaveLength(50);
    expect(shutterRows).toHaveLength(2);
    expect(shutter.skipped).toEqual([{ file: '/lib/few.jpg', reason: '3 keywords; shutterstock needs at least 7' }]);
    expect(parseCsv(exportCsv(rows, 'generic').csv)[0]).toEqual(['file', 'language', 'title', 'description', 'keywords']);
  });
});

describe('scripts of a language (issue 10, defect 11)', () => {
  it('drops keywords in another script, keeps digits and a quoted foreign name in a title; a stock title in another script fails', () => {
    const mixed = {
      en: { title: 'Dog in the park', description: 'A dog.', keywords: ['dog', 'собака', '2024', 'park-4k', 'щенок', 'Café'] },
    };
    expect(applyProfile(mixed, options('adobe-stock')).en!.keywords).toEqual(['dog', '2024', 'park-4k', 'Café']);
    const ruTitle = { en: { title: 'Собака в парке', description: 'A dog.', keywords: many(10) } };
    expect(() => applyProfile(ruTitle, options('adobe-stock'))).toThrow(/en title is not in Latin script/);
    expect(applyProfile(ruTitle, options('generic')).en!.title).toBe('Собака в парке');
    const quoted = { en: { title: 'Sign reading Москва on a station', description: 'A sign.', keywords: many(10) } };
    expect(applyProfile(quoted, options('adobe-stock')).en!.title).toBe('Sign reading Москва on a station');
  });
});
