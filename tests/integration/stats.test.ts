import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeStats } from '../../src/core/stats.js';
import { Store } from '../../src/core/store.js';
import { ROOT, tempDir } from '../support/corpus.js';

let dir: string;
const DAY = 86_400_000;
const NOW = new Date(2026, 10, 27, 12).getTime();

/** A database as a few days of real use would leave it, with times set explicitly. */
function seed(dataDir: string): void {
  const store = Store.inDataDir(dataDir);
  const rows: [string, 'done' | 'skipped' | 'failed', string, number, Record<string, unknown>][] = [
    ['/p/1.jpg', 'done', 'cli', NOW - 2 * DAY, { tokens_in: 800, tokens_out: 100, cost: 0.001, model: 'm/a', duration_ms: 1000 }],
    ['/p/2.jpg', 'done', 'scan', NOW - 2 * DAY, { tokens_in: 800, tokens_out: 100, cost: 0.001, model: 'm/a', duration_ms: 3000 }],
    ['/p/3.jpg', 'done', 'scan', NOW - DAY, { cache_hit: 1, model: 'm/a' }],
    [
      '/p/4.jpg',
      'done',
      'telegram',
      NOW - 1000,
      { telegram_user: '42', telegram_name: 'Ann Lee (@ann)', model: 'm/b', tokens_in: 900, tokens_out: 90, cost: 0.002, duration_ms: 500 },
    ],
    ['/p/5.jpg', 'skipped', 'scan', NOW - 1000, {}],
    ['/p/6.jpg', 'failed', 'scan', NOW - 3000, { error: 'cannot decode image: premature end', error_kind: 'corrupt' }],
    ['/p/7.jpg', 'failed', 'scan', NOW - 2000, { error: 'm/a: HTTP 500', error_kind: 'transient' }],
    ['/p/8.jpg', 'failed', 'telegram', NOW - 1000, { error: 'cannot decode image: bad', error_kind: 'corrupt', telegram_user: '42' }],
    ['/p/old.jpg', 'done', 'cli', NOW - 60 * DAY, {}],
  ];
  for (const [file, status, source] of rows) store.jobs.recordOutcome({ path: file, status, source: source as 'cli', size: 1, mtimeMs: 1 });
  for (const ms of [1000, 2000, 3000, 4000, 10_000])
    store.cache.recordModelCall({
      provider: 'openrouter',
      model: 'm/a',
      ok: ms !== 10_000,
      ms,
      tokensIn: 800,
      tokensOut: 100,
      cost: 0.001,
    });
  store.cache.recordModelCall({ provider: 'openrouter', model: 'm/b', ok: true, ms: 1500, tokensIn: 900, tokensOut: 90, cost: 0.002 });
  // Recorded when they happen: two retries of a photo, one model fallback (and a stop that is no retry).
  store.jobs.defer('/p/7.jpg', 1000, 'm/a: HTTP 500', 'transient');
  store.jobs.defer('/p/7.jpg', 1000, 'm/a: HTTP 503', 'transient');
  store.jobs.defer('/p/7.jpg', 0, 'no credit', 'provider', false);
  store.cache.recordModelSwitch('m/a', 'm/b', 'm/a: HTTP 429');
  store.close();
  const db = new Database(path.join(dataDir, 'phototag.db'));
  const update = db.prepare(
    `UPDATE photos SET updated_at = @at, tokens_in = @tokens_in, tokens_out = @tokens_out, cost = @cost, cache_hit = @cache_hit, model = @model, error = @error, error_kind = @error_kind, telegram_user = @telegram_user, telegram_name = @telegram_name, duration_ms = @duration_ms WHERE path = @path`,
  );
  for (const [file, , , at, extra] of rows)
    update.run({
      path: file,
      at,
      tokens_in: 0,
      tokens_out: 0,
      cost: 0,
      cache_hit: 0,
      model: null,
      error: null,
      error_kind: null,
      telegram_user: null,
      telegram_name: null,
      duration_ms: null,
      ...extra,
    });
  db.prepare(`UPDATE model_calls SET at = ?`).run(NOW - DAY);
  db.prepare(`UPDATE job_events SET at = ?`).run(NOW - DAY);
  // /p/7.jpg was deferred above: failed again at its old time.
  db.prepare(`UPDATE photos SET status = 'failed', updated_at = ? WHERE path = '/p/7.jpg'`).run(NOW - 2000);
  db.prepare(`INSERT INTO photos (path, status, source, created_at, updated_at) VALUES ('/p/q.jpg', 'queued', 'scan', ?, ?)`).run(NOW, NOW);
  db.close();
}

beforeAll(() => {
  dir = tempDir('phototag-stats-');
  seed(path.join(dir, 'data'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('stats', () => {
  it('counts, groups and times what was done in the range', () => {
    const store = Store.inDataDir(path.join(dir, 'data'));
    const stats = computeStats(store, { days: 7 }, NOW);
    store.close();
    expect(stats.totals).toEqual({
      done: 4,
      skipped: 1,
      failed: 3,
      queued: 1,
      running: 0,
      cacheHits: 1,
      callsSaved: 1,
      tokens: 2790,
      cost: 0.004,
      avgMs: 1500,
      retries: 2,
      modelSwitches: 1,
    });
    expect(stats.perDay).toHaveLength(7);
    expect(stats.perDay.at(-1)).toMatchObject({ done: 1, skipped: 1, failed: 3, queued: 1, running: 0, avgMs: 500 });
    expect(stats.perDay.at(-2)).toMatchObject({ done: 1, avgMs: null, retries: 2, modelSwitches: 1 });
    expect(stats.perDay.at(-3)).toMatchObject({ done: 2, failed: 0, avgMs: 2000, retries: 0 });
    expect(stats.perDay[0]).toMatchObject({ done: 0, skipped: 0, failed: 0, queued: 0, avgMs: null });
    expect(stats.modelSwitches).toEqual([{ from: 'm/a', to: 'm/b', count: 1 }]);
    expect(stats.perModel[0]).toMatchObject({
      provider: 'openrouter',
      model: 'm/a',
      calls: 5,
      successRate: 0.8,
      medianMs: 3000,
      p95Ms: 10_000,
      tokensIn: 4000,
      tokensOut: 500,
    });
    expect(stats.perModel[1]).toMatchObject({ model: 'm/b', calls: 1, medianMs: 1500 });
    expect(stats.failures.map((f) => [f.kind, f.count, f.examples.map((e) => e.file)])).toEqual([
      ['corrupt', 2, ['/p/8.jpg', '/p/6.jpg']],
      ['transient', 1, ['/p/7.jpg']],
    ]);
    const [today, yesterday, before] = [0, 1, 2].map((n) => stats.perDay.at(-1 - n)!.day);
    expect(stats.perSource).toEqual([
      { source: 'cli', done: 1, skipped: 0, failed: 0, days: [{ day: before, done: 1, skipped: 0, failed: 0 }] },
      {
        source: 'scan',
        done: 2,
        skipped: 1,
        failed: 2,
        days: [
          { day: before, done: 1, skipped: 0, failed: 0 },
          { day: yesterday, done: 1, skipped: 0, failed: 0 },
          { day: today, done: 0, skipped: 1, failed: 2 },
        ],
      },
      { source: 'telegram', done: 1, skipped: 0, failed: 1, days: [{ day: today, done: 1, skipped: 0, failed: 1 }] },
    ]);
    expect(stats.perTelegramUser).toEqual([
      { user: '42', name: 'Ann Lee (@ann)', done: 1, failed: 1, days: [{ day: today, done: 1, skipped: 0, failed: 1 }] },
    ]);
  });

  it('--since and --until narrow the range', () => {
    const store = Store.inDataDir(path.join(dir, 'data'));
    const lastHour = computeStats(store, { since: NOW - 3_600_000, until: NOW }, NOW);
    const all = computeStats(store, { since: NOW - 90 * DAY, until: NOW + 1 }, NOW);
    store.close();
    expect(lastHour.totals).toMatchObject({ done: 1, skipped: 1, failed: 3, retries: 0, modelSwitches: 0, avgMs: 500 });
    expect(all.totals.done).toBe(5);
  });

  it('the CLI prints tables as text in a pipe and the same numbers as JSON', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, [path.join(ROOT, 'bin/phototag.js'), 'stats', ...args], {
        env: { PATH: process.env.PATH ?? '', HOME: dir, PHOTOTAG_DATA_DIR: path.join(dir, 'data') },
        encoding: 'utf8',
      });
    const json = run(['--json', '--since', '2026-01-01', '--until', '2027-01-01']);
    expect(json.status).toBe(0);
    const stats = JSON.parse(json.stdout);
    expect(stats.totals.done).toBe(5);
    const text = run(['--since', '2026-01-01', '--until', '2027-01-01']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^done +skipped +failed +queued/m);
    expect(text.stdout).toMatch(/^openrouter +m\/a +5 +80% +3\.0 s +10\.0 s +4500/m);
    expect(text.stdout).toMatch(/^corrupt +2 +\/p\/8\.jpg: cannot decode image: bad$/m);
    expect(text.stdout).toContain('█');
  });
});
