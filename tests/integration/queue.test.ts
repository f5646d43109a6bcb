import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreQueue } from '../../src/core/queue.js';
import { Store } from '../../src/core/store.js';
import { tempDir } from '../support/corpus.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function store(): Store {
  const dir = tempDir('phototag-queue-');
  dirs.push(dir);
  return Store.inDataDir(path.join(dir, 'data'));
}

describe('the job queue', () => {
  it('never hands one photo to two workers, even when a watcher reports it again while it runs', () => {
    const db = store();
    const queue = new StoreQueue(db, { source: 'watch', force: false, retryFailed: false });
    const item = { path: '/photos/a.jpg', size: 10, mtimeMs: 1000 };
    expect(queue.add([item])).toEqual(['queued']);
    expect(queue.add([{ ...item, size: 11 }])).toEqual(['pending']);
    const job = queue.claim();
    expect(job?.path).toBe('/photos/a.jpg');
    expect(queue.add([{ ...item, size: 12, mtimeMs: 2000 }])).toEqual(['pending']);
    expect(queue.claim()).toBeUndefined();
    queue.finish({ path: item.path, size: 12, mtimeMs: 2000, status: 'done', source: 'watch' });
    expect(queue.add([{ ...item, size: 12, mtimeMs: 2000 }])).toEqual(['unchanged']);
    expect(queue.add([{ ...item, size: 13, mtimeMs: 3000 }])).toEqual(['queued']);
    queue.close();
    db.close();
  });

  it('leaves a photo with another live run, and a new run adopts the jobs of one that has ended, with what they were asked', () => {
    const db = store();
    const first = new StoreQueue(db, { source: 'scan', force: false, retryFailed: false });
    const second = new StoreQueue(db, { source: 'scan', force: false, retryFailed: false });
    const item = { path: '/photos/b.jpg', size: 10, mtimeMs: 1000 };
    const asked = {
      path: '/photos/c.jpg',
      size: 10,
      mtimeMs: 1000,
      request: {
        source: 'telegram' as const,
        telegram: { user: '7', chat: 7, statusMessage: 70, lang: 'ru' as const },
        languages: ['ru'],
        hint: 'Lisbon',
      },
    };
    expect(first.add([item, asked])).toEqual(['queued', 'queued']);
    expect(second.add([item])).toEqual(['busy']);
    expect(second.claim()).toBeUndefined();
    first.close();
    const third = new StoreQueue(db, { source: 'scan', force: false, retryFailed: false });
    expect(third.adopted).toMatchObject({ queued: 2, running: 0 });
    expect(third.add([item])).toEqual(['pending']);
    expect(third.claim()?.path).toBe('/photos/b.jpg');
    expect(third.claim()).toMatchObject({
      path: '/photos/c.jpg',
      source: 'telegram',
      telegram: { user: '7', chat: 7, statusMessage: 70, lang: 'ru' },
      languages: ['ru'],
      hint: 'Lisbon',
    });
    db.close();
  });
});
