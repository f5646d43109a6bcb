import { describe, expect, it } from 'vitest';
import { isBoilerplate } from '../../src/core/boilerplate.js';
import { existingText, isFullyTagged, planWrite } from '../../src/core/fieldmap.js';
import { droppedValues } from '../../src/core/writer.js';

const result = {
  en: { title: 'Red barn at dawn', description: 'A red barn in a misty field.', keywords: ['barn', 'farm', 'dawn'] },
  ru: { title: 'Красный амбар', description: 'Красный амбар в поле.', keywords: ['амбар'] },
};
const jpeg = { iptc: true, exif: true };

describe('boilerplate', () => {
  it.each([
    'OLYMPUS DIGITAL CAMERA',
    'SONY DSC',
    '   ',
    'File written by Adobe Photoshop 4.0',
    'File written by Adobe Photoshop¨ 5.2',
    'Created with GIMP',
    'CREATOR: gd-jpeg v1.0 (using IJG JPEG v62), quality = 90',
    'KODAK Digital Still Camera',
    'SAMSUNG CAMERA PICTURES',
    'Exif_JPEG_PICTURE',
    'IMG_1234.JPG',
    'DSC01234',
    'P1010001',
    'Screenshot_20240101-101010',
    '<Digimax S500 / Kenox S500>',
    '---',
  ])('"%s" is nobody\'s description', (text) => {
    expect(isBoilerplate(text)).toBe(true);
  });

  it("a description that only repeats the camera make and model is the firmware's", () => {
    expect(isBoilerplate('NIKON COOLPIX P7000', { make: 'NIKON', model: 'COOLPIX P7000' })).toBe(true);
    expect(isBoilerplate('NIKON D70', { make: 'NIKON CORPORATION', model: 'NIKON D70' })).toBe(true);
    expect(isBoilerplate('Canon PowerShot A85', { make: 'Canon', model: 'Canon PowerShot A85' })).toBe(true);
  });

  it.each(['Sunset over the bay', 'Photo of grandma', 'Taken by my father at the lake', 'Olympus camera on a table', 'R&amp;B night'])(
    '"%s" is a person\'s text',
    (text) => {
      expect(isBoilerplate(text, { make: 'OLYMPUS', model: 'E-M5' })).toBe(false);
    },
  );
});

describe('existing text', () => {
  it('finds a title, description and keywords in every IPTC block, language and Windows field', () => {
    const existing = existingText({
      'IPTC2:ObjectName': 'Trailer title',
      'XMP-dc:Description-de': 'Beschreibung',
      'IPTC2:Keywords': ['trailer'],
      'IFD0:XPKeywords': 'one; two;',
    });
    expect(existing).toMatchObject({
      title: 'Trailer title',
      description: 'Beschreibung',
      keywords: ['trailer', 'one', 'two'],
      titleXDefault: false,
      descriptionXDefault: false,
    });
    expect(isFullyTagged(existing)).toBe(true);
    expect(existingText({ 'IFD0:XPTitle': 'Mine', 'IFD0:XPComment': 'My comment' })).toMatchObject({
      title: 'Mine',
      description: 'My comment',
    });
    expect(existingText({ 'IFD0:XPSubject': 'My subject' }).description).toBe('My subject');
  });

  it('boilerplate anywhere counts as empty, and is replaced', () => {
    const existing = existingText({
      'IFD0:ImageDescription': 'SONY DSC',
      'XMP-dc:Description': 'OLYMPUS DIGITAL CAMERA',
      'IPTC:Caption-Abstract': 'Created with GIMP',
    });
    expect(existing.description).toBeUndefined();
    const plan = planWrite(result, ['en', 'ru'], existing, jpeg, false);
    expect(plan.tags['XMP-dc:Description-x-default']).toBe('A red barn in a misty field.');
    expect(plan.tags['XMP-dc:Description-ru']).toBe('Красный амбар в поле.');
  });

  it('never writes an extra language into a lang-alt that gets no x-default', () => {
    const byIptc = planWrite(
      result,
      ['en', 'ru'],
      existingText({ 'IPTC:ObjectName': 'Mine', 'IPTC:CodedCharacterSet': 'UTF8' }),
      jpeg,
      false,
    );
    expect(byIptc.tags['XMP-dc:Title-ru']).toBeUndefined();
    expect(byIptc.tags['XMP-dc:Title-x-default']).toBeUndefined();
    const byLang = planWrite(result, ['en', 'ru'], existingText({ 'XMP-dc:Title-en-US': 'Mine' }), jpeg, false);
    expect(Object.keys(byLang.tags).filter((tag) => tag.startsWith('XMP-dc:Title'))).toEqual([]);
    // Beside an existing x-default the extra language is added.
    const beside = planWrite(result, ['en', 'ru'], existingText({ 'XMP-dc:Title': 'Mine' }), jpeg, false);
    expect(beside.tags['XMP-dc:Title-ru']).toBe('Красный амбар');
  });

  it('keyword lists: a new HierarchicalSubject holds the flat keywords; TagsList and LastKeywordXMP are extended only where they exist', () => {
    const fresh = planWrite(result, ['en'], existingText({ 'XMP-dc:Subject': ['Lisbon'] }), jpeg, false);
    expect(fresh.tags['XMP-lr:HierarchicalSubject']).toEqual(['Lisbon', 'barn', 'farm', 'dawn']);
    expect(fresh.tags['XMP-digiKam:TagsList']).toBeUndefined();
    expect(fresh.tags['XMP-microsoft:LastKeywordXMP']).toBeUndefined();
    const digikam = planWrite(
      result,
      ['en'],
      existingText({ 'XMP-digiKam:TagsList': ['Farm/Barn'], 'XMP-microsoft:LastKeywordXMP': 'old' }),
      jpeg,
      false,
    );
    expect(digikam.tags['XMP-digiKam:TagsList']).toEqual(['Farm/Barn', 'farm', 'dawn']);
    expect(digikam.tags['XMP-microsoft:LastKeywordXMP']).toEqual(['old', 'barn', 'farm', 'dawn']);
  });
});

describe('repairs that drop values', () => {
  it('a duplicate of a property phototag does not rewrite is a loss; of one it rewrites is not', () => {
    const tags = { 'XMP-dc:Title-x-default': 't', 'XMP-dc:Subject': ['a'] };
    expect(droppedValues(['[Minor] Duplicate XMP property: dc:title/rdf:Alt/rdf:li 10'], tags)).toEqual([]);
    expect(droppedValues(['Duplicate XMP property: photoshop:City'], tags)).toEqual(['a duplicate value of XMP photoshop:City']);
    expect(droppedValues(['[Minor] IPTC record 0 encountered, subsequent records ignored'], tags)).toHaveLength(1);
    expect(droppedValues(['[minor] Fixed incorrect URI for xmlns:MicrosoftPhoto', 'Bad IFD1 directory'], tags)).toEqual([]);
  });
});
