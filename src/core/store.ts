import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ProcessIdentity } from './process-identity.js';
import type { ModelCall } from './vision/client.js';
import type { Analysis, ModelResult, PhotoRecord, PhotoStatus, Source } from './types.js';

export interface QueueItem {
  path: string;
  size: number;
  mtimeMs: number;
  /** Queue it even if it is recorded as done with this size and time (Regenerate, Edit). */
  again?: boolean;
}

/**
 * 'failed-before': a scan found a photo unchanged since it failed; `phototag retry` (or `tag`) tries it again.
 * 'pending': already queued or running in this run. 'busy': queued or running in another live run.
 */
export type EnqueueResult = 'queued' | 'unchanged' | 'busy' | 'failed-before' | 'pending';

export interface ClaimedJob {
  path: string;
  attempts: number;
  source: Source;
}

export interface RetryFilter {
  /** Epoch milliseconds. */
  since?: number;
  kind?: string;
  paths?: string[];
  telegramUser?: string;
}

export interface FailureRow {
  path: string;
  error: string | null;
  kind: string | null;
  attempts: number;
  updatedAt: number;
}

/** Schema changes, applied in order; `PRAGMA user_version` says how many have run. Never edit a shipped one. */
export const MIGRATIONS: string[] = [
  `CREATE TABLE photos (
     id INTEGER PRIMARY KEY,
     path TEXT NOT NULL UNIQUE,
     size INTEGER,
     mtime_ms INTEGER,
     hash TEXT,
     status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'skipped', 'failed')),
     source TEXT NOT NULL DEFAULT 'cli',
     title TEXT,
     description TEXT,
     keywords TEXT,
     result TEXT,
     fields_written TEXT,
     warnings TEXT,
     provider TEXT,
     model TEXT,
     tokens_in INTEGER NOT NULL DEFAULT 0,
     tokens_out INTEGER NOT NULL DEFAULT 0,
     cost REAL NOT NULL DEFAULT 0,
     duration_ms INTEGER,
     cache_hit INTEGER NOT NULL DEFAULT 0,
     error TEXT,
     error_kind TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL DEFAULT 0,
     run_id INTEGER,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX photos_status ON photos (status, updated_at);
   CREATE INDEX photos_queue ON photos (run_id, status, next_attempt_at);
   CREATE TABLE runs (
     id INTEGER PRIMARY KEY,
     host TEXT NOT NULL,
     pid INTEGER NOT NULL,
     start_time TEXT NOT NULL,
     source TEXT NOT NULL,
     started_at INTEGER NOT NULL,
     ended_at INTEGER
   );
   CREATE INDEX photos_hash ON photos (hash);
   CREATE TABLE analyses (
     hash TEXT NOT NULL,
     model TEXT NOT NULL,
     prompt_version INTEGER NOT NULL,
     languages TEXT NOT NULL,
     result TEXT NOT NULL,
     provider TEXT,
     tokens_in INTEGER NOT NULL DEFAULT 0,
     tokens_out INTEGER NOT NULL DEFAULT 0,
     cost REAL NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (hash, model, prompt_version, languages)
   );
   CREATE TABLE catalogues (
     base_url TEXT PRIMARY KEY,
     fetched_at INTEGER NOT NULL,
     models TEXT NOT NULL
   );
   CREATE TABLE model_outcomes (
     model TEXT PRIMARY KEY,
     successes INTEGER NOT NULL DEFAULT 0,
     failures INTEGER NOT NULL DEFAULT 0,
     last_success_at INTEGER
   );`,
  // 2: every model call for `phototag stats`, who sent a photo by Telegram, indexes for stats by time.
  `CREATE TABLE model_calls (
     id INTEGER PRIMARY KEY,
     at INTEGER NOT NULL,
     provider TEXT NOT NULL,
     model TEXT NOT NULL,
     ok INTEGER NOT NULL,
     ms INTEGER NOT NULL,
     tokens_in INTEGER NOT NULL DEFAULT 0,
     tokens_out INTEGER NOT NULL DEFAULT 0,
     cost REAL NOT NULL DEFAULT 0,
     error TEXT
   );
   CREATE INDEX model_calls_at ON model_calls (at);
   CREATE INDEX model_calls_latency ON model_calls (provider, model, ms, at);
   ALTER TABLE photos ADD COLUMN telegram_user TEXT;
   CREATE INDEX photos_telegram ON photos (telegram_user, updated_at) WHERE telegram_user IS NOT NULL;
   -- covers the stats pass over a time range (no table lookups for 100,000 photos)
   CREATE INDEX photos_updated ON photos (updated_at, source, status, cache_hit, tokens_in, tokens_out, cost);
   CREATE INDEX photos_failures ON photos (status, error_kind, updated_at);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The one adapter for SQLite: WAL, busy timeout, migrations by user_version, writes in IMMEDIATE transactions. */
export class Store {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file, { timeout: 10_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
  }

  /** Prepared once, reused: a rescan of 10,000 photos runs the same few statements 10,000 times. */
  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  static inDataDir(dataDir: string): Store {
    return new Store(path.join(dataDir, 'phototag.db'));
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new Error(`Database ${this.file} has schema version ${current}, newer than this phototag (${MIGRATIONS.length}); upgrade phototag`);
    }
    const apply = this.db.transaction(() => {
      for (let version = current; version < MIGRATIONS.length; version++) {
        this.db.exec(MIGRATIONS[version]!);
        this.db.pragma(`user_version = ${version + 1}`);
      }
    });
    if (current < MIGRATIONS.length) apply.immediate();
  }

  // ── the job queue: a photo row with status 'queued' is a job; its run_id says which run will work it ──

  startRun(owner: ProcessIdentity, source: Source): number {
    const result = this.statement(`INSERT INTO runs (host, pid, start_time, source, started_at) VALUES (?, ?, ?, ?, ?)`).run(owner.host, owner.pid, owner.startTime, source, Date.now());
    return Number(result.lastInsertRowid);
  }

  endRun(runId: number): void {
    this.statement(`UPDATE runs SET ended_at = ? WHERE id = ?`).run(Date.now(), runId);
  }

  /** Runs that still own queued or running jobs, with who runs them. */
  private owners(): { id: number; host: string; pid: number; start_time: string; ended_at: number | null }[] {
    return this.statement(
      `SELECT id, host, pid, start_time, ended_at FROM runs WHERE id IN (SELECT DISTINCT run_id FROM photos WHERE status IN ('queued', 'running') AND run_id IS NOT NULL)`,
    ).all() as { id: number; host: string; pid: number; start_time: string; ended_at: number | null }[];
  }

  /** Runs that ended or whose process is gone: their jobs are free to take. */
  deadRuns(isAlive: (owner: ProcessIdentity) => boolean): number[] {
    return this.owners()
      .filter((run) => run.ended_at !== null || !isAlive({ host: run.host, pid: run.pid, startTime: run.start_time }))
      .map((run) => run.id);
  }

  run(runId: number): { owner: ProcessIdentity; ended: boolean } | undefined {
    const row = this.statement(`SELECT host, pid, start_time, ended_at FROM runs WHERE id = ?`).get(runId) as
      | { host: string; pid: number; start_time: string; ended_at: number | null }
      | undefined;
    return row && { owner: { host: row.host, pid: row.pid, startTime: row.start_time }, ended: row.ended_at !== null };
  }

  /** Jobs left running by a process that is gone go back to the queue (the crash is not counted as an attempt). */
  recoverOrphans(deadRunIds: readonly number[]): number {
    let recovered = 0;
    const requeue = this.statement(`UPDATE photos SET status = 'queued', attempts = MAX(attempts - 1, 0), updated_at = ? WHERE run_id = ? AND status = 'running'`);
    this.db.transaction(() => {
      for (const id of deadRunIds) recovered += requeue.run(Date.now(), id).changes;
    }).immediate();
    return recovered;
  }

  /**
   * Put photos on this run's queue, in one IMMEDIATE transaction. A photo done with the same size and mtime
   * is 'unchanged' (unless `force`); one queued or running under a live run stays with it ('busy'); one that
   * failed is tried again only when `retryFailed` (tag, retry), not by every rescan.
   */
  enqueue(runId: number, items: readonly QueueItem[], options: { force: boolean; retryFailed: boolean; source: Source; isLiveRun: (runId: number) => boolean }): EnqueueResult[] {
    const find = this.statement(`SELECT status, size, mtime_ms, run_id FROM photos WHERE path = ?`);
    const insert = this.statement(
      `INSERT INTO photos (path, size, mtime_ms, status, source, run_id, attempts, next_attempt_at, created_at, updated_at)
       VALUES (@path, @size, @mtimeMs, 'queued', @source, @runId, 0, 0, @now, @now)
       ON CONFLICT (path) DO UPDATE SET status = 'queued', source = excluded.source, run_id = excluded.run_id, attempts = 0,
         next_attempt_at = 0, error = NULL, error_kind = NULL, updated_at = excluded.updated_at`,
    );
    return this.db.transaction(() =>
      items.map((item): EnqueueResult => {
        const row = find.get(item.path) as { status: PhotoStatus; size: number; mtime_ms: number; run_id: number | null } | undefined;
        const same = row !== undefined && row.size === item.size && row.mtime_ms === Math.trunc(item.mtimeMs);
        if (same && !options.force && !item.again && (row.status === 'done' || row.status === 'skipped')) return 'unchanged';
        if (same && !options.force && !options.retryFailed && row.status === 'failed') return 'failed-before';
        const waiting = row !== undefined && (row.status === 'queued' || row.status === 'running');
        // Already this run's job (a watcher's second event for it): never a second worker on one photo.
        if (waiting && row.run_id === runId) return 'pending';
        if (waiting && row.run_id !== null && options.isLiveRun(row.run_id)) return 'busy';
        insert.run({ path: item.path, size: item.size, mtimeMs: Math.trunc(item.mtimeMs), source: options.source, runId, now: Date.now() });
        return 'queued';
      }),
    ).immediate();
  }

  /** Claim the next due job of this run with one statement: two processes never get the same photo. */
  claim(runId: number): ClaimedJob | undefined {
    return this.statement(
      `UPDATE photos SET status = 'running', attempts = attempts + 1, updated_at = @now
       WHERE id = (SELECT id FROM photos WHERE run_id = @runId AND status = 'queued' AND next_attempt_at <= @now ORDER BY id LIMIT 1)
       RETURNING path, attempts, source`,
    ).get({ runId, now: Date.now() }) as ClaimedJob | undefined;
  }

  /** Back to the queue after a transient failure, due again in `delayMs`. */
  defer(file: string, delayMs: number, error: string, kind: string, countAttempt = true): void {
    this.statement(
      `UPDATE photos SET status = 'queued', next_attempt_at = ?, error = ?, error_kind = ?, attempts = attempts - ?, updated_at = ? WHERE path = ?`,
    ).run(Date.now() + delayMs, error, kind, countAttempt ? 0 : 1, Date.now(), file);
  }

  /** How many jobs this run still has, and when the earliest deferred one is due. */
  pending(runId: number): { queued: number; running: number; nextDueAt?: number } {
    const row = this.statement(
      `SELECT SUM(status = 'queued') AS queued, SUM(status = 'running') AS running, MIN(CASE WHEN status = 'queued' THEN next_attempt_at END) AS next
       FROM photos WHERE run_id = ? AND status IN ('queued', 'running')`,
    ).get(runId) as { queued: number | null; running: number | null; next: number | null };
    return { queued: row.queued ?? 0, running: row.running ?? 0, nextDueAt: row.next ?? undefined };
  }

  /**
   * `phototag retry`: failed photos matching the filter, and photos left queued by runs that are gone,
   * move to this run's queue with fresh attempts.
   */
  requeue(runId: number, filter: RetryFilter, deadRunIds: readonly number[]): number {
    const failed = failedWhere(filter);
    const orphans = filter.paths?.length || filter.kind || deadRunIds.length === 0 ? '' : ` OR (status = 'queued' AND run_id IN (${deadRunIds.join(', ')}))`;
    return this.db
      .prepare(`UPDATE photos SET status = 'queued', run_id = ?, attempts = 0, next_attempt_at = 0, updated_at = ? WHERE (${failed.sql})${orphans}`)
      .run(runId, Date.now(), ...failed.params).changes;
  }

  /** Failed photos, newest first, for `phototag retry --list`. */
  failures(filter: RetryFilter, limit = 1000): FailureRow[] {
    const failed = failedWhere(filter);
    return this.db
      .prepare(`SELECT path, error, error_kind AS kind, attempts, updated_at AS updatedAt FROM photos WHERE ${failed.sql} ORDER BY updated_at DESC, id DESC LIMIT ?`)
      .all(...failed.params, limit) as FailureRow[];
  }

  /**
   * Everything `phototag stats` shows, aggregated in SQL over photos updated and calls made in [since, until):
   * one pass over the photos (grouped by day, source and status), one over the calls, and an index walk per
   * model for its latency percentiles. `dayOffsetMs` shifts UTC into local days.
   */
  statsRows(since: number, until: number, dayOffsetMs: number): StatsRows {
    const range = { since, until, offset: dayOffsetMs };
    const all = <T>(sql: string, params: object = range) => this.statement(sql).all(params) as T[];
    const models = all<{ provider: string; model: string; calls: number; ok: number; tokensIn: number; tokensOut: number; cost: number }>(
      `SELECT provider, model, COUNT(*) AS calls, SUM(ok) AS ok, SUM(tokens_in) AS tokensIn, SUM(tokens_out) AS tokensOut, SUM(cost) AS cost
       FROM model_calls WHERE at >= @since AND at < @until GROUP BY provider, model ORDER BY calls DESC`,
    );
    const nth = `SELECT ms FROM model_calls WHERE provider = @provider AND model = @model AND at >= @since AND at < @until ORDER BY ms LIMIT 1 OFFSET @n`;
    const percentile = (m: { provider: string; model: string; calls: number }, p: number) =>
      (this.statement(nth).get({ ...m, since, until, n: Math.max(0, Math.ceil(p * m.calls) - 1) }) as { ms: number }).ms;
    return {
      groups: all(
        `SELECT CAST((updated_at + @offset) / 86400000 AS INTEGER) AS day, source, status, cache_hit AS cacheHit, COUNT(*) AS count,
                SUM(tokens_in + tokens_out) AS tokens, SUM(cost) AS cost
         FROM photos WHERE updated_at >= @since AND updated_at < @until GROUP BY day, source, status, cache_hit`,
      ),
      queue: this.queueDepth(),
      models: models.map((m) => ({ ...m, medianMs: percentile(m, 0.5), p95Ms: percentile(m, 0.95) })),
      failures: all(
        `SELECT error_kind AS kind, COUNT(*) AS count FROM photos WHERE status = 'failed' AND updated_at >= @since AND updated_at < @until GROUP BY error_kind ORDER BY count DESC`,
      ),
      failureExamples: all(
        `SELECT kind, path, error, updated_at AS at FROM (
           SELECT error_kind AS kind, path, error, updated_at, ROW_NUMBER() OVER (PARTITION BY error_kind ORDER BY updated_at DESC, id DESC) AS n
           FROM photos WHERE status = 'failed' AND updated_at >= @since AND updated_at < @until) WHERE n <= 3 ORDER BY kind, at DESC`,
      ),
      perTelegramUser: all(
        `SELECT telegram_user AS user, COUNT(*) FILTER (WHERE status = 'done') AS done, COUNT(*) FILTER (WHERE status = 'failed') AS failed
         FROM photos WHERE telegram_user IS NOT NULL AND updated_at >= @since AND updated_at < @until GROUP BY telegram_user ORDER BY done DESC`,
      ),
    };
  }

  /** Tagged photos with everything written, for `phototag export`. */
  exportRows(filter: { since?: number; paths?: string[] }): { path: string; result: ModelResult | null; updatedAt: number }[] {
    const where = [`status = 'done'`, 'result IS NOT NULL'];
    const params: unknown[] = [];
    if (filter.since !== undefined) {
      where.push('updated_at >= ?');
      params.push(filter.since);
    }
    if (filter.paths?.length) {
      where.push(`path IN (${filter.paths.map(() => '?').join(', ')})`);
      params.push(...filter.paths);
    }
    return (this.db.prepare(`SELECT path, result, updated_at AS updatedAt FROM photos WHERE ${where.join(' AND ')} ORDER BY path`).all(...params) as { path: string; result: string; updatedAt: number }[])
      .map((row) => ({ ...row, result: JSON.parse(row.result) as ModelResult }));
  }

  queueDepth(): { queued: number; running: number } {
    return this.statement(`SELECT COUNT(*) FILTER (WHERE status = 'queued') AS queued, COUNT(*) FILTER (WHERE status = 'running') AS running FROM photos WHERE status IN ('queued', 'running')`).get() as { queued: number; running: number };
  }

  /** The newest tagged and failed photos, for the dashboard. */
  recent(limit: number): { done: RecentPhoto[]; failed: FailureRow[] } {
    const done = (this.statement(`SELECT path, title, description, keywords, model, updated_at AS updatedAt FROM photos WHERE status = 'done' ORDER BY updated_at DESC, id DESC LIMIT ?`).all(limit) as (Omit<RecentPhoto, 'keywords'> & { keywords: string | null })[])
      .map((row) => ({ ...row, keywords: row.keywords ? (JSON.parse(row.keywords) as string[]) : [] }));
    return { done, failed: this.failures({}, limit) };
  }

  /** A photo moved (the daemon's processed and failed folders): its record follows it. */
  movePath(from: string, to: string): void {
    this.statement(`UPDATE photos SET path = ? WHERE path = ?`).run(to, from);
  }

  ping(): boolean {
    return (this.statement(`SELECT 1 AS ok`).get() as { ok: number }).ok === 1;
  }

  /** Store the outcome of one photo in one statement, so a crash leaves either the old or the new row. */
  recordOutcome(record: PhotoRecord): void {
    this.db
      .prepare(
        `INSERT INTO photos (path, size, mtime_ms, hash, status, source, title, description, keywords, result, fields_written, warnings,
                             provider, model, tokens_in, tokens_out, cost, duration_ms, cache_hit, error, error_kind, telegram_user, created_at, updated_at)
         VALUES (@path, @size, @mtimeMs, @hash, @status, @source, @title, @description, @keywords, @result, @fieldsWritten, @warnings,
                 @provider, @model, @tokensIn, @tokensOut, @cost, @durationMs, @cacheHit, @error, @errorKind, @telegramUser, @now, @now)
         ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, hash = excluded.hash, status = excluded.status,
           source = excluded.source, title = excluded.title, description = excluded.description, keywords = excluded.keywords,
           result = excluded.result, fields_written = excluded.fields_written, warnings = excluded.warnings, provider = excluded.provider,
           model = excluded.model, tokens_in = excluded.tokens_in, tokens_out = excluded.tokens_out, cost = excluded.cost,
           duration_ms = excluded.duration_ms, cache_hit = excluded.cache_hit, error = excluded.error, error_kind = excluded.error_kind,
           telegram_user = COALESCE(excluded.telegram_user, telegram_user), updated_at = excluded.updated_at`,
      )
      .run({
        path: record.path,
        size: record.size ?? null,
        mtimeMs: record.mtimeMs === undefined ? null : Math.trunc(record.mtimeMs),
        hash: record.hash ?? null,
        status: record.status,
        source: record.source,
        title: record.title ?? null,
        description: record.description ?? null,
        keywords: record.keywords ? JSON.stringify(record.keywords) : null,
        result: record.result ? JSON.stringify(record.result) : null,
        fieldsWritten: record.fieldsWritten ? JSON.stringify(record.fieldsWritten) : null,
        warnings: record.warnings?.length ? JSON.stringify(record.warnings) : null,
        provider: record.provider ?? null,
        model: record.model ?? null,
        tokensIn: record.tokensIn ?? 0,
        tokensOut: record.tokensOut ?? 0,
        cost: record.cost ?? 0,
        durationMs: record.durationMs ?? null,
        cacheHit: record.cacheHit ? 1 : 0,
        error: record.error ?? null,
        errorKind: record.errorKind ?? null,
        telegramUser: record.telegramUser ?? null,
        now: Date.now(),
      });
  }

  cachedAnalysis(key: AnalysisKey): Analysis | undefined {
    const row = this.db
      .prepare(`SELECT result, provider, model FROM analyses WHERE hash = ? AND model = ? AND prompt_version = ? AND languages = ?`)
      .get(key.hash, key.model, key.promptVersion, key.languages.join(',')) as { result: string; provider: string; model: string } | undefined;
    if (!row) return undefined;
    return { result: JSON.parse(row.result), provider: row.provider, model: row.model, tokensIn: 0, tokensOut: 0, cost: 0, cacheHit: true };
  }

  /** Cache under the model that was asked for (e.g. "auto") and the one that answered, so either finds it. */
  saveAnalysis(key: AnalysisKey, analysis: Analysis): void {
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO analyses (hash, model, prompt_version, languages, result, provider, tokens_in, tokens_out, cost, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const save = this.db.transaction((models: string[]) => {
      for (const model of models) {
        insert.run(key.hash, model, key.promptVersion, key.languages.join(','), JSON.stringify(analysis.result), analysis.provider,
          analysis.tokensIn, analysis.tokensOut, analysis.cost, Date.now());
      }
    });
    save.immediate([...new Set([key.model, analysis.model])]);
  }

  catalogue(baseUrl: string, maxAgeMs: number): unknown[] | undefined {
    const row = this.db.prepare(`SELECT fetched_at, models FROM catalogues WHERE base_url = ?`).get(baseUrl) as
      | { fetched_at: number; models: string }
      | undefined;
    if (!row || Date.now() - row.fetched_at > maxAgeMs) return undefined;
    return JSON.parse(row.models) as unknown[];
  }

  saveCatalogue(baseUrl: string, models: unknown[]): void {
    this.db.prepare(`INSERT OR REPLACE INTO catalogues (base_url, fetched_at, models) VALUES (?, ?, ?)`).run(baseUrl, Date.now(), JSON.stringify(models));
  }

  recordModelCall(call: ModelCall): void {
    this.statement(`INSERT INTO model_calls (at, provider, model, ok, ms, tokens_in, tokens_out, cost, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      Date.now(), call.provider, call.model, call.ok ? 1 : 0, call.ms, call.tokensIn, call.tokensOut, call.cost, call.error ?? null,
    );
    this.recordModelOutcome(call.model, call.ok);
  }

  recordModelOutcome(model: string, ok: boolean): void {
    this.db
      .prepare(
        `INSERT INTO model_outcomes (model, successes, failures, last_success_at) VALUES (@model, @ok, 1 - @ok, CASE WHEN @ok = 1 THEN @now END)
         ON CONFLICT (model) DO UPDATE SET successes = successes + @ok, failures = failures + 1 - @ok,
           last_success_at = CASE WHEN @ok = 1 THEN @now ELSE last_success_at END`,
      )
      .run({ model, ok: ok ? 1 : 0, now: Date.now() });
  }

  /** Models that answered usefully before, best first. */
  provenModels(): string[] {
    const rows = this.db
      .prepare(`SELECT model FROM model_outcomes WHERE successes > 0 ORDER BY successes * 1.0 / (successes + failures) DESC, last_success_at DESC`)
      .all() as { model: string }[];
    return rows.map((row) => row.model);
  }

  close(): void {
    this.db.close();
  }
}

/** The failed photos a retry filter selects, as SQL and its parameters. */
function failedWhere(filter: RetryFilter): { sql: string; params: unknown[] } {
  const where: string[] = [`status = 'failed'`];
  const params: unknown[] = [];
  if (filter.since !== undefined) {
    where.push('updated_at >= ?');
    params.push(filter.since);
  }
  if (filter.kind) {
    where.push('error_kind = ?');
    params.push(filter.kind);
  }
  if (filter.paths?.length) {
    where.push(`path IN (${filter.paths.map(() => '?').join(', ')})`);
    params.push(...filter.paths);
  }
  if (filter.telegramUser) {
    where.push('telegram_user = ?');
    params.push(filter.telegramUser);
  }
  return { sql: where.join(' AND '), params };
}

export interface RecentPhoto {
  path: string;
  title: string | null;
  description: string | null;
  keywords: string[];
  model: string | null;
  updatedAt: number;
}

export interface StatsRows {
  /** Photo counts by local day number (days since the epoch), source, status and cache hit. */
  groups: { day: number; source: string; status: PhotoStatus; cacheHit: number; count: number; tokens: number; cost: number }[];
  queue: { queued: number; running: number };
  models: { provider: string; model: string; calls: number; ok: number; tokensIn: number; tokensOut: number; cost: number; medianMs: number; p95Ms: number }[];
  failures: { kind: string | null; count: number }[];
  failureExamples: { kind: string | null; path: string; error: string | null; at: number }[];
  perTelegramUser: { user: string; done: number; failed: number }[];
}

export interface AnalysisKey {
  hash: string;
  model: string;
  promptVersion: number;
  languages: readonly string[];
}
