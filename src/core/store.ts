import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Analysis, PhotoRecord, PhotoStatus } from './types.js';

/** Schema changes, applied in order; `PRAGMA user_version` says how many have run. */
const MIGRATIONS: string[] = [
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
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX photos_status ON photos (status, updated_at);
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
];

export const SCHEMA_VERSION = MIGRATIONS.length;

interface PhotoRow {
  path: string;
  size: number | null;
  mtime_ms: number | null;
  hash: string | null;
  status: PhotoStatus;
  title: string | null;
  description: string | null;
  keywords: string | null;
  model: string | null;
  error: string | null;
  error_kind: string | null;
}

/** The one adapter for SQLite: WAL, busy timeout, migrations by user_version, writes in IMMEDIATE transactions. */
export class Store {
  private readonly db: Database.Database;

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file, { timeout: 10_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
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

  /** The photo is recorded as finished with exactly this size and mtime: skip it without reading it. */
  isUnchangedSinceDone(file: string, size: number, mtimeMs: number): boolean {
    const row = this.db
      .prepare(`SELECT 1 FROM photos WHERE path = ? AND size = ? AND mtime_ms = ? AND status IN ('done', 'skipped')`)
      .get(file, size, Math.trunc(mtimeMs));
    return row !== undefined;
  }

  markRunning(file: string, source: string): void {
    const now = Date.now();
    this.db
      .prepare(
        `INSERT INTO photos (path, status, source, created_at, updated_at) VALUES (?, 'running', ?, ?, ?)
         ON CONFLICT (path) DO UPDATE SET status = 'running', source = excluded.source, attempts = attempts + 1, updated_at = excluded.updated_at`,
      )
      .run(file, source, now, now);
  }

  /** Store the outcome of one photo in one statement, so a crash leaves either the old or the new row. */
  recordOutcome(record: PhotoRecord): void {
    this.db
      .prepare(
        `INSERT INTO photos (path, size, mtime_ms, hash, status, source, title, description, keywords, result, fields_written, warnings,
                             provider, model, tokens_in, tokens_out, cost, duration_ms, cache_hit, error, error_kind, created_at, updated_at)
         VALUES (@path, @size, @mtimeMs, @hash, @status, @source, @title, @description, @keywords, @result, @fieldsWritten, @warnings,
                 @provider, @model, @tokensIn, @tokensOut, @cost, @durationMs, @cacheHit, @error, @errorKind, @now, @now)
         ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, hash = excluded.hash, status = excluded.status,
           source = excluded.source, title = excluded.title, description = excluded.description, keywords = excluded.keywords,
           result = excluded.result, fields_written = excluded.fields_written, warnings = excluded.warnings, provider = excluded.provider,
           model = excluded.model, tokens_in = excluded.tokens_in, tokens_out = excluded.tokens_out, cost = excluded.cost,
           duration_ms = excluded.duration_ms, cache_hit = excluded.cache_hit, error = excluded.error, error_kind = excluded.error_kind,
           updated_at = excluded.updated_at`,
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
        now: Date.now(),
      });
  }

  photo(file: string): PhotoRow | undefined {
    return this.db
      .prepare(`SELECT path, size, mtime_ms, hash, status, title, description, keywords, model, error, error_kind FROM photos WHERE path = ?`)
      .get(file) as PhotoRow | undefined;
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

export interface AnalysisKey {
  hash: string;
  model: string;
  promptVersion: number;
  languages: readonly string[];
}
