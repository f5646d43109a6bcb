import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, Store } from '../../src/core/store.js';
import { tempDirs } from '../support/corpus.js';

const newDir = tempDirs('phototag-history-');

function seeded(): Store {
  const store = Store.inDataDir(newDir());
  const texts: [string, string, string, string[], 'done' | 'failed', 'scan' | 'telegram'][] = [
    ['/p/a.jpg', 'Sunset over the sea', 'Orange sky above calm water', ['sunset', 'sea'], 'done', 'scan'],
    ['/p/b.jpg', 'Mountain lake', 'A lake between peaks', ['lake', 'mountains'], 'done', 'scan'],
    ['/p/c.jpg', 'Закат над морем', 'Оранжевое небо', ['закат', 'море'], 'done', 'telegram'],
  ];
  for (const [file, title, description, keywords, status, source] of texts)
    store.jobs.recordOutcome({ path: file, status, source, title, description, keywords, size: 1, mtimeMs: 1 });
  store.jobs.recordOutcome({ path: '/p/d.jpg', status: 'failed', source: 'scan', error: 'cannot decode', errorKind: 'corrupt' });
  return store;
}

describe('photo history', () => {
  it('filters by status and source, pages with a total, and finds words in title, description and keywords', () => {
    const store = seeded();
    try {
      expect(store.history.list({ limit: 2, offset: 0 })).toMatchObject({ total: 4, photos: [{ path: '/p/d.jpg' }, { path: '/p/c.jpg' }] });
      expect(store.history.list({ limit: 2, offset: 2 }).photos.map((p) => p.path)).toEqual(['/p/b.jpg', '/p/a.jpg']);
      expect(store.history.list({ status: 'failed', limit: 10, offset: 0 })).toMatchObject({
        total: 1,
        photos: [{ errorKind: 'corrupt' }],
      });
      expect(store.history.list({ source: 'telegram', limit: 10, offset: 0 }).total).toBe(1);
      const find = (q: string) => store.history.list({ q, limit: 10, offset: 0 }).photos.map((p) => p.path);
      expect(find('sun')).toEqual(['/p/a.jpg']); // a prefix of a title word
      expect(find('calm water')).toEqual(['/p/a.jpg']); // every word, from the description
      expect(find('MOUNTAINS')).toEqual(['/p/b.jpg']); // a keyword, any case
      expect(find('закат')).toEqual(['/p/c.jpg']);
      expect(find('ЗАКАТ')).toEqual(['/p/c.jpg']);
      // What a user types is never FTS syntax.
      for (const hostile of ['"', 'sea"*', 'NEAR(sea lake)', 'title:sea', '*', '-sea', 'sea OR lake'])
        expect(() => find(hostile), hostile).not.toThrow();
      expect(find('"sea"')).toEqual(['/p/a.jpg']);
      expect(find('sea OR lake')).toEqual([]); // words, not operators: no photo has all three
      expect(find('*')).toEqual([]);
      // A photo tagged again is found by its new words only.
      store.jobs.recordOutcome({
        path: '/p/a.jpg',
        status: 'done',
        source: 'scan',
        title: 'Harbour',
        description: 'Boats',
        keywords: ['boat'],
      });
      expect(find('sunset')).toEqual([]);
      expect(find('boats')).toEqual(['/p/a.jpg']);
      const photo = store.history.photo(store.jobs.idOf('/p/a.jpg')!);
      expect(photo).toMatchObject({ title: 'Harbour', keywords: ['boat'], status: 'done' });
      expect(store.history.photo(99_999)).toBeUndefined();
    } finally {
      store.close();
    }
  });

  it('a database from before the text index gets it filled when it is opened', () => {
    const dir = newDir();
    const file = path.join(dir, 'phototag.db');
    const db = new Database(file);
    db.exec(MIGRATIONS.slice(0, 3).join(';\n'));
    db.pragma('user_version = 3');
    db.prepare(
      `INSERT INTO photos (path, status, source, title, description, keywords, created_at, updated_at) VALUES ('/old.jpg', 'done', 'cli', 'Old harbour', 'x', '["pier"]', 1, 1)`,
    ).run();
    db.close();
    const store = Store.inDataDir(dir);
    try {
      expect(store.history.list({ q: 'pier', limit: 10, offset: 0 }).photos.map((p) => p.path)).toEqual(['/old.jpg']);
    } finally {
      store.close();
    }
  });
});
