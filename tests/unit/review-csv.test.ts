import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeReviewCsv, readReviewCsv } from '../../src/core/review.js';

const SHA = 'a'.repeat(64);
const IMAGE = 'b'.repeat(64);

describe('reading a review CSV', () => {
  it('takes semicolons (Excel in Russian and most European locales), a BOM, and paths relative to the CSV', () => {
    const text =
      '\uFEFFfile;sha256;title:ru;description:ru;keywords:ru;image_sha256\r\n' +
      `photos/Москва.jpg;${SHA};Красная площадь;Площадь зимой, вечером;площадь, зима, Москва;${IMAGE}\r\n`;
    const { languages, proposals } = readReviewCsv(text, 'review.csv', '/data/review');
    expect(languages).toEqual(['ru']);
    expect([...proposals.keys()]).toEqual([path.resolve('/data/review/photos/Москва.jpg')]);
    expect(proposals.get('/data/review/photos/Москва.jpg')).toEqual({
      hash: SHA,
      imageHash: IMAGE,
      result: { ru: { title: 'Красная площадь', description: 'Площадь зимой, вечером', keywords: ['площадь', 'зима', 'Москва'] } },
    });
  });

  it('still reads the comma CSV phototag writes, with absolute paths and without an image column', () => {
    const text = `file,sha256,title:en,description:en,keywords:en\n/abs/a.jpg,${SHA},"A title, with a comma",Desc,"x, y"\n`;
    const { proposals } = readReviewCsv(text, 'r.csv', '/elsewhere');
    expect(proposals.get('/abs/a.jpg')).toEqual({
      hash: SHA,
      result: { en: { title: 'A title, with a comma', description: 'Desc', keywords: ['x', 'y'] } },
    });
  });

  it.each([
    [
      'a row with a cell too many',
      `file;sha256;title:en;description:en;keywords:en\na.jpg;${SHA};T;D;k\nb.jpg;${SHA};T;D;k;extra\n`,
      'r.csv, line 3: 6 cells, the header has 5 (is a quote or a semicolon unbalanced?)',
    ],
    [
      'a quote never closed',
      `file,sha256,title:en,description:en,keywords:en\na.jpg,${SHA},"T,D,k\n`,
      'r.csv, line 2: a quoted cell is never closed',
    ],
    ['another header', 'name,title\nx,y\n', 'r.csv, line 1: not a phototag review CSV'],
    ['a bad sha256', 'file,sha256,title:en,description:en,keywords:en\na.jpg,xyz,T,D,k\n', 'r.csv, line 2: "xyz" is not a SHA-256'],
    ['an empty title', `file,sha256,title:en,description:en,keywords:en\na.jpg,${SHA},,D,k\n`, 'r.csv, line 2: a.jpg has an empty title'],
    [
      'a multi-line cell before the bad row',
      `file,sha256,title:en,description:en,keywords:en\na.jpg,${SHA},T,"two\nlines",k\nb.jpg,${SHA},T\n`,
      'r.csv, line 4: 3 cells',
    ],
  ])('names the file, the line and the reason for %s', (_name, text, message) => {
    expect(() => readReviewCsv(text, 'r.csv')).toThrow(message);
  });

  it('refuses a CSV a spreadsheet saved in a legacy encoding (Windows-1251), saying how to save it', () => {
    const cp1251 = Buffer.from([0x66, 0x69, 0x6c, 0x65, 0x3b, 0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2]); // "file;Привет"
    expect(() => decodeReviewCsv(cp1251, 'r.csv')).toThrow(
      'r.csv: not UTF-8 text (a spreadsheet saved it in another encoding; in Excel choose "CSV UTF-8"',
    );
    expect(decodeReviewCsv(Buffer.from('file,привет'), 'r.csv')).toBe('file,привет');
  });
});
