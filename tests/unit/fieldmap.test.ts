import { describe, expect, it } from 'vitest';
import { existingText, isFullyTagged, planWrite, verifyWrite } from '../../src/core/fieldmap.js';

const result = {
  en: { title: 'Red barn at dawn', description: 'A red barn in a misty field.', keywords: ['barn', 'farm', 'dawn'] },
  ru: { title: 'Красный амбар на рассвете', description: 'Красный амбар в туманном поле.', keywords: ['амбар', 'ферма'] },
};
const jpeg = { iptc: true, exif: true };

describe('planWrite', () => {
  it('fills every field of an empty photo: lang-alt XMP, IPTC with UTF-8 marker, EXIF', () => {
    const plan = planWrite(result, ['en', 'ru'], existingText({}), jpeg, false);
    expect(plan.tags).toEqual({
      'XMP-dc:Title-x-default': 'Red barn at dawn',
      'IPTC:ObjectName': 'Red barn at dawn',
      'XMP-dc:Description-x-default': 'A red barn in a misty field.',
      'IPTC:Caption-Abstract': 'A red barn in a misty field.',
      'IFD0:ImageDescription': 'A red barn in a misty field.',
      'XMP-dc:Title-ru': 'Красный амбар на рассвете',
      'XMP-dc:Description-ru': 'Красный амбар в туманном поле.',
      'XMP-dc:Subject': ['barn', 'farm', 'dawn', 'амбар', 'ферма'],
      'XMP-lr:HierarchicalSubject': ['barn', 'farm', 'dawn', 'амбар', 'ферма'],
      'IPTC:Keywords': ['barn', 'farm', 'dawn', 'амбар', 'ферма'],
      'IPTC:CodedCharacterSet': 'UTF8',
    });
    expect(plan.reencoded).toEqual([]);
  });

  it('keeps what a person wrote and only adds keywords', () => {
    const existing = existingText({ 'XMP-dc:Title': 'My barn', 'IPTC:Keywords': ['Barn', 'family'], 'XMP-dc:Subject': 'Barn' });
    const plan = planWrite(result, ['en'], existing, jpeg, false);
    expect(plan.tags['XMP-dc:Title-x-default']).toBeUndefined();
    expect(plan.tags['IPTC:ObjectName']).toBeUndefined();
    expect(plan.tags['XMP-dc:Description-x-default']).toBe('A red barn in a misty field.');
    expect(plan.tags['XMP-dc:Subject']).toEqual(['Barn', 'family', 'farm', 'dawn']);
  });

  it('replaces everything with overwrite', () => {
    const existing = existingText({ 'XMP-dc:Title': 'My barn', 'IPTC:Keywords': ['family'] });
    const plan = planWrite(result, ['en'], existing, jpeg, true);
    expect(plan.tags['XMP-dc:Title-x-default']).toBe('Red barn at dawn');
    expect(plan.tags['XMP-dc:Subject']).toEqual(['barn', 'farm', 'dawn']);
  });

  it('treats camera filler in ImageDescription as empty', () => {
    const existing = existingText({ 'IFD0:ImageDescription': 'OLYMPUS DIGITAL CAMERA         ' });
    expect(existing.description).toBeUndefined();
    expect(planWrite(result, ['en'], existing, jpeg, false).tags['IFD0:ImageDescription']).toBe('A red barn in a misty field.');
  });

  it('cuts IPTC values at their byte limits on character boundaries, XMP keeps the full text', () => {
    const long = {
      ru: {
        title: 'Очень длинное название фотографии про красный амбар на рассвете',
        description: 'д'.repeat(1500),
        keywords: ['очень-длинное-ключевое-слово-про-амбар-на-рассвете'],
      },
    };
    const plan = planWrite(long, ['ru'], existingText({}), jpeg, false);
    expect(Buffer.byteLength(plan.tags['IPTC:ObjectName'] as string)).toBeLessThanOrEqual(64);
    expect(Buffer.byteLength(plan.tags['IPTC:Caption-Abstract'] as string)).toBeLessThanOrEqual(2000);
    expect(Buffer.byteLength((plan.tags['IPTC:Keywords'] as string[])[0]!)).toBeLessThanOrEqual(64);
    expect(plan.tags['XMP-dc:Title-x-default']).toBe(long.ru.title);
    expect((plan.tags['XMP-dc:Subject'] as string[])[0]).toBe(long.ru.keywords[0]);
  });

  it('with a stock profile fills IPTC and XMP Headline with the title, IPTC cut at 256 bytes, only where empty', () => {
    const title = 'Заголовок '.repeat(20).trim(); // 199 characters, 379 bytes
    const long = { ru: { ...result.ru, title } };
    const plan = planWrite(long, ['ru'], existingText({}), jpeg, false, { headline: true });
    expect(plan.tags['XMP-photoshop:Headline']).toBe(title);
    const iptc = plan.tags['IPTC:Headline'] as string;
    expect(Buffer.byteLength(iptc)).toBeLessThanOrEqual(256);
    expect(Buffer.byteLength(iptc)).toBeGreaterThan(250);
    expect(title.startsWith(iptc)).toBe(true);
    expect(planWrite(result, ['en'], existingText({}), jpeg, false).tags['IPTC:Headline']).toBeUndefined();
    const theirs = existingText({ 'IPTC:Headline': 'Their headline' });
    expect(theirs.headline).toBe('Their headline');
    expect(
      Object.keys(planWrite(result, ['en'], theirs, jpeg, false, { headline: true }).tags).filter((t) => t.includes('Headline')),
    ).toEqual([]);
    expect(planWrite(result, ['en'], theirs, jpeg, true, { headline: true }).tags['IPTC:Headline']).toBe('Red barn at dawn');
    const sidecar = planWrite(result, ['en'], existingText({}), { iptc: false, exif: false }, false, { headline: true });
    expect(sidecar.tags['XMP-photoshop:Headline']).toBe('Red barn at dawn');
    expect(sidecar.tags['IPTC:Headline']).toBeUndefined();
  });

  it('writes no IPTC or EXIF where the destination cannot hold them', () => {
    const plan = planWrite(result, ['en'], existingText({}), { iptc: false, exif: false }, false);
    expect(Object.keys(plan.tags).filter((t) => !t.startsWith('XMP'))).toEqual([]);
  });

  it('re-encodes the non-ASCII values of legacy IPTC (no UTF-8 marker) it keeps, and leaves ASCII ones alone', () => {
    const plan = planWrite(
      result,
      ['en'],
      existingText({
        'IPTC:Caption-Abstract': 'Straße',
        'IPTC:City': 'Köln',
        'IPTC:TimeCreated': '16:51:00',
        'IPTC:Keywords': ['Müll', 'x'],
      }),
      jpeg,
      false,
    );
    // The caption is the person's (kept, not replaced): assigned again only to be stored as UTF-8.
    expect(plan.reencoded).toEqual(['IPTC:Caption-Abstract', 'IPTC:City']);
    expect(plan.tags['IPTC:City']).toBe('Köln');
    expect(plan.tags['IPTC:Caption-Abstract']).toBe('Straße');
    expect(plan.tags['IPTC:TimeCreated']).toBeUndefined();
    expect(plan.tags['IPTC:Keywords']).toEqual(['Müll', 'x', 'barn', 'farm', 'dawn']);
  });

  it('writes no IPTC when two legacy IPTC blocks disagree on a value it would have to re-encode', () => {
    const plan = planWrite(result, ['en'], existingText({ 'IPTC:Credit': 'Åke', 'IPTC2:Credit': 'Örjan' }), jpeg, false);
    expect(Object.keys(plan.tags).filter((tag) => tag.startsWith('IPTC'))).toEqual([]);
    expect(plan.notes.join(' ')).toMatch(/IPTC not written: .*Credit/);
    expect(plan.tags['XMP-dc:Title-x-default']).toBe('Red barn at dawn');
  });
});

describe('isFullyTagged and verifyWrite', () => {
  it('needs a title, a description and keywords', () => {
    expect(isFullyTagged(existingText({ 'XMP-dc:Title': 't', 'IPTC:Caption-Abstract': 'd', 'IPTC:Keywords': 'k' }))).toBe(true);
    expect(isFullyTagged(existingText({ 'XMP-dc:Title': 't', 'IPTC:Caption-Abstract': 'd' }))).toBe(false);
  });

  it('names every field whose read-back differs', () => {
    const wanted = { 'XMP-dc:Title-x-default': 'Привет', 'IPTC:Keywords': ['один', 'два'], 'IPTC:CodedCharacterSet': 'UTF8' };
    expect(verifyWrite(wanted, { 'XMP-dc:Title': 'Привет', 'IPTC:Keywords': ['один', 'два'] })).toEqual([]);
    expect(verifyWrite(wanted, { 'XMP-dc:Title': 'Привет', 'IPTC:Keywords': ['?????', '???'] })).toEqual(['IPTC:Keywords']);
    expect(verifyWrite(wanted, {})).toEqual(['XMP-dc:Title', 'IPTC:Keywords']);
  });
});
