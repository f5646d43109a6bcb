import { describe, expect, it } from 'vitest';
import { contentDisposition, contentType } from '../../src/daemon/api/photos.js';
import { uploadName } from '../../src/daemon/api/upload.js';
import { matchQuery } from '../../src/core/store/history.js';
import { userName } from '../../src/daemon/telegram.js';

describe('names the HTTP API sends and keeps', () => {
  it('Content-Disposition has a plain ASCII fallback and the real name in RFC 5987 form, never a header injection', () => {
    expect(contentDisposition('beach day.jpg')).toBe(`attachment; filename="beach day.jpg"; filename*=UTF-8''beach%20day.jpg`);
    const hostile = contentDisposition('Закат "x"\\\r\nSet-Cookie: a=b.jpg');
    expect(hostile).not.toMatch(/[\r\n]/);
    expect(hostile.split(';')[1]).toBe(' filename="_____ _x____Set-Cookie: a=b.jpg"');
    expect(hostile).toContain(`filename*=UTF-8''%D0%97%D0%B0%D0%BA%D0%B0%D1%82%20%22x%22%5C%0D%0ASet-Cookie%3A%20a%3Db.jpg`);
    expect(contentType('IMG_1.JPG')).toBe('image/jpeg');
    expect(contentType('a.heic')).toBe('image/heic');
    expect(contentType('a.cr3')).toBe('application/octet-stream');
  });

  it('an upload is named as it was sent, without its arrival time', () => {
    expect(uploadName('/data/uploads/1764690000000001-IMG 1.jpg')).toBe('IMG 1.jpg');
    expect(uploadName('/photos/2026-01-01 party.jpg')).toBe('2026-01-01 party.jpg');
  });

  it('search words become quoted FTS prefixes; nothing typed is FTS syntax', () => {
    expect(matchQuery('Sunset, beach!')).toBe('"Sunset"* "beach"*');
    expect(matchQuery('NEAR(a b) OR "c')).toBe('"NEAR"* "a"* "b"* "OR"* "c"*');
    expect(matchQuery('***')).toBeNull();
  });

  it("a Telegram user's name is their first and last name and @username, without control characters", () => {
    expect(userName({ first_name: 'Ann', last_name: 'Lee', username: 'ann' })).toBe('Ann Lee (@ann)');
    expect(userName({ first_name: 'Bob\n\u0007 ' })).toBe('Bob');
    expect(userName({ first_name: '', username: 'x' })).toBe('@x');
  });
});
