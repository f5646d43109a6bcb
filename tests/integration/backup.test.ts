import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupError, createBackup, pruneBackups, restoreBackup, SERVE_LOCK, verifyBackup } from '../../src/core/backup.js';
import { loadConfig } from '../../src/core/config/load.js';
import { currentProcess } from '../../src/core/process-identity.js';
import { computeStats } from '../../src/core/stats.js';
import { MIGRATIONS, SCHEMA_VERSION, Store } from '../../src/core/store.js';
import { copyCorpus, ROOT, sha256, tempDir, SIX_JPEGS } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;
const SECRET = 'sk-or-v1-backup-secret-0123456789';

beforeAll(async () => {
  fake = await startFakeOpenAI({ latencyMs: 300 });
  dir = tempDir('phototag-backup-');
});
afterAll(async () => {
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const SINCE = Date.now() - 86_400_000;
const UNTIL = Date.now() + 3_600_000;
function statsOf(dataDir: string) {
  const store = Store.inDataDir(dataDir);
  try {
    return computeStats(store, { since: SINCE, until: UNTIL });
  } finally {
    store.close();
  }
}

describe('backup while a scan writes', () => {
  it('is a consistent snapshot that restores into a fresh data dir with the same stats', async () => {
    const library = path.join(dir, 'library');
    fs.mkdirSync(library);
    const files = copyCorpus(library, SIX_JPEGS);
    const data = path.join(dir, 'live-data');
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'bin/phototag.js'),
        'scan',
        '--provider',
        'openai',
        '--base-url',
        fake.url,
        '--model',
        'fake/vision',
        '--concurrency',
        '1',
        '--json',
        library,
      ],
      {
        env: { PATH: process.env.PATH ?? '', HOME: dir, PHOTOTAG_DATA_DIR: data, PHOTOTAG_API_KEY: SECRET },
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const finished = new Promise((resolve) => child.on('close', resolve));
    while (out.split('\n').filter(Boolean).length < 2) await new Promise((r) => setTimeout(r, 20));
    const doneBefore = out.split('\n').filter(Boolean).length;
    const { file, manifest } = await createBackup({
      dataDir: data,
      dir: path.join(dir, 'archives'),
      config: { apiKey: SECRET, languages: ['en'] },
      version: 'test',
    });
    const doneAfter = out.split('\n').filter(Boolean).length;
    await finished;
    expect(doneAfter).toBeLessThan(files.length); // the scan really was still writing

    // The archive's own database is the source at the backup's moment.
    const { dir: unpacked } = await verifyBackup(file);
    const snapshotDir = path.join(dir, 'snapshot');
    fs.mkdirSync(snapshotDir);
    fs.copyFileSync(path.join(unpacked, 'phototag.db'), path.join(snapshotDir, 'phototag.db'));
    fs.rmSync(unpacked, { recursive: true });

    const fresh = path.join(dir, 'fresh-data');
    await restoreBackup(file, { dataDir: fresh, force: false });
    const restored = statsOf(fresh);
    expect(restored).toEqual(statsOf(snapshotDir));
    expect(restored.totals.done).toBeGreaterThanOrEqual(doneBefore);
    expect(restored.totals.done).toBeLessThanOrEqual(doneAfter);
    expect(manifest.rowCounts.photos).toBe(files.length);
    expect(manifest.schemaVersion).toBe(SCHEMA_VERSION);
    // And the source has moved on since: all photos done there.
    expect(statsOf(data).totals.done).toBe(files.length);
  });
});

describe('archives', () => {
  async function archive(name: string): Promise<{ data: string; file: string }> {
    const data = path.join(dir, name);
    const store = Store.inDataDir(data);
    store.jobs.recordOutcome({ path: '/photos/a.jpg', size: 1, mtimeMs: 1, status: 'done', source: 'cli', title: 'A', keywords: ['x'] });
    store.close();
    const { file } = await createBackup({
      dataDir: data,
      dir: path.join(data, 'archives'),
      config: { apiKey: SECRET, telegram: { token: '123456:ABC-bot-token', allowedUsers: [1] }, model: 'auto' },
      version: 'test',
    });
    return { data, file };
  }

  it('never holds a secret', async () => {
    const { file } = await archive('secrets');
    const raw = zlib.gunzipSync(fs.readFileSync(file)).toString('latin1');
    expect(raw).not.toContain(SECRET);
    expect(raw).not.toContain('ABC-bot-token');
    expect(raw).toContain('"model": "auto"');
    expect(raw).toContain('"allowedUsers"');
  });

  it('keeps every non-secret config key through a backup (maxKeywords, bannedKeywords, serve.tokenFile …) and no secret', async () => {
    const data = path.join(dir, 'config-round-trip');
    Store.inDataDir(data).close();
    const { config } = await loadConfig({
      env: {},
      flags: {
        apiKey: SECRET,
        maxKeywords: 12,
        bannedKeywords: ['nsfw'],
        requiredKeywords: ['studio'],
        folderKeywords: { '/photos/paris': ['Paris'] },
        telegram: { token: '123456:ABC-bot-token', allowedUsers: [7] },
        serve: { token: 'serve-token-0123456789', tokenFile: '/etc/phototag/token', watch: ['/photos'] },
      },
    });
    const { file } = await createBackup({ dataDir: data, dir: path.join(data, 'archives'), config: { ...config }, version: 'test' });
    const { dir: unpacked } = await verifyBackup(file);
    const saved = JSON.parse(fs.readFileSync(path.join(unpacked, 'config.json'), 'utf8')) as Record<string, unknown>;
    fs.rmSync(unpacked, { recursive: true, force: true });
    const expected = JSON.parse(JSON.stringify(config)) as Record<string, Record<string, unknown>>;
    delete expected.apiKey;
    delete expected.telegram!.token;
    delete expected.serve!.token;
    expect(saved).toEqual(expected);
    expect(saved).toMatchObject({
      maxKeywords: 12,
      bannedKeywords: ['nsfw'],
      requiredKeywords: ['studio'],
      folderKeywords: { '/photos/paris': ['Paris'] },
      serve: { tokenFile: '/etc/phototag/token' },
    });
    const raw = JSON.stringify(saved);
    for (const secret of [SECRET, 'ABC-bot-token', 'serve-token-0123456789']) expect(raw).not.toContain(secret);
    // The restored config is valid as it is.
    await expect(loadConfig({ env: {}, flags: saved as never })).resolves.toBeDefined();
  });

  it.each([
    ['truncated', (bytes: Buffer) => bytes.subarray(0, Math.floor(bytes.length / 2)), /damaged or not a phototag backup/],
    [
      'corrupted',
      (bytes: Buffer) =>
        Buffer.concat([bytes.subarray(0, 200), Buffer.from(bytes.subarray(200, 260).map((b) => b ^ 0xff)), bytes.subarray(260)]),
      /damaged/,
    ],
    ['not an archive', () => Buffer.from('hello'), /damaged or not a phototag backup/],
  ])('refuses a %s archive with a clear message and leaves the current database untouched', async (_name, damage, message) => {
    const { data, file } = await archive(`damaged-${_name.replace(/ /g, '-')}`);
    const bad = path.join(data, 'archives', 'phototag-20200101-000000.tar.gz');
    fs.writeFileSync(bad, damage(fs.readFileSync(file)));
    const before = sha256(path.join(data, 'phototag.db'));
    const error = await restoreBackup(bad, { dataDir: data, force: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackupError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(bad);
    expect(sha256(path.join(data, 'phototag.db'))).toBe(before);
    expect(fs.readdirSync(data).filter((f) => f.includes('before-restore'))).toEqual([]);
  });

  it.each([
    ['a trigger', `CREATE TRIGGER hacked AFTER UPDATE ON photos BEGIN UPDATE photos SET title = 'HACKED'; END`, /holds a trigger "hacked"/],
    ['a view', `CREATE VIEW everything AS SELECT * FROM photos`, /holds a view "everything"/],
    ['an extra table', `CREATE TABLE extra (x)`, /holds a table "extra"/],
  ])('refuses an archive whose database carries %s, in one line, and changes nothing', async (_what, sql, message) => {
    const data = path.join(dir, `foreign-${_what.replace(/ /g, '-')}`);
    const store = Store.inDataDir(data);
    store.jobs.recordOutcome({ path: '/photos/a.jpg', size: 1, mtimeMs: 1, status: 'done', source: 'cli', title: 'A', keywords: ['x'] });
    store.close();
    const db = new Database(path.join(data, 'phototag.db'));
    db.exec(sql);
    db.close();
    const { file } = await createBackup({ dataDir: data, dir: path.join(data, 'archives'), config: {}, version: 'test' });
    const target = path.join(dir, `foreign-target-${_what.replace(/ /g, '-')}`);
    const error = await restoreBackup(file, { dataDir: target, force: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackupError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
    expect(fs.existsSync(path.join(target, 'phototag.db'))).toBe(false);
  });

  it('refuses to restore while phototag serve runs on the data dir, unless --force; keeps a restore point', async () => {
    const { data, file } = await archive('served');
    fs.writeFileSync(path.join(data, SERVE_LOCK), JSON.stringify(currentProcess()));
    await expect(restoreBackup(file, { dataDir: data, force: false })).rejects.toThrow(/phototag serve \(pid \d+\) is running/);
    const { restorePoint } = await restoreBackup(file, { dataDir: data, force: true });
    expect(restorePoint && fs.existsSync(restorePoint)).toBe(true);
  });

  it('restores an archive of an older schema and migrates it', async () => {
    const old = path.join(dir, 'old-schema');
    fs.mkdirSync(old);
    const db = new Database(path.join(old, 'phototag.db'));
    db.exec(MIGRATIONS[0]!);
    db.pragma('user_version = 1');
    db.prepare(
      `INSERT INTO photos (path, status, source, title, created_at, updated_at) VALUES ('/old/p.jpg', 'done', 'scan', 'Old title', ?, ?)`,
    ).run(Date.now(), Date.now());
    db.close();
    const { file, manifest } = await createBackup({ dataDir: old, dir: old, config: {}, version: 'old' });
    expect(manifest.schemaVersion).toBe(1);
    const fresh = path.join(dir, 'migrated');
    await restoreBackup(file, { dataDir: fresh, force: false });
    const check = new Database(path.join(fresh, 'phototag.db'), { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(check.prepare('SELECT title FROM photos').get()).toEqual({ title: 'Old title' });
    check.close();
    expect(statsOf(fresh).totals.done).toBe(1);
  });
});

describe('prune', () => {
  it("deletes only phototag's own archives older than the limit, keeping the newest", () => {
    const folder = path.join(dir, 'prune');
    fs.mkdirSync(folder);
    const names = [
      'phototag-20261101-030000.tar.gz',
      'phototag-20261115-030000.tar.gz',
      'phototag-20261122-030000.tar.gz',
      'phototag-20261126-030000.tar.gz',
      'phototag-20261127-030000.tar.gz',
      'phototag-20261127-030000-1.tar.gz',
    ];
    const others = ['notes.txt', 'phototag-old.tar.gz', 'phototag-20200101-000000.tar.gz.partial', 'photo.jpg', 'phototag.db'];
    for (const name of [...names, ...others]) fs.writeFileSync(path.join(folder, name), name);
    const removed = pruneBackups(folder, { keepDays: 7, keep: 1, now: new Date(2026, 10, 27, 12) });
    expect(removed.map((f) => path.basename(f)).sort()).toEqual(['phototag-20261101-030000.tar.gz', 'phototag-20261115-030000.tar.gz']);
    expect(fs.readdirSync(folder).sort()).toEqual([...names.slice(2), ...others].sort());
    // --keep wins over age: the newest archives stay even when all are old.
    const all = pruneBackups(folder, { keepDays: 0, keep: 2, now: new Date(2027, 0, 1) });
    expect(all).toHaveLength(2);
    expect(
      fs
        .readdirSync(folder)
        .filter((f) => /^phototag-\d/.test(f) && f.endsWith('.tar.gz'))
        .sort(),
    ).toEqual(['phototag-20261127-030000-1.tar.gz', 'phototag-20261127-030000.tar.gz']);
  });
});
