import path from 'node:path';
import type Database from 'better-sqlite3';
import { CacheStore } from './store/cache.js';
import { HistoryStore } from './store/history.js';
import { JobStore } from './store/jobs.js';
import { ReportStore } from './store/reports.js';
import { TelegramStore } from './store/telegram.js';
import { WriteStore } from './store/writes.js';
import { openDatabase, type OpenOptions } from './store/schema.js';

export { MIGRATIONS, SCHEMA_VERSION } from './store/schema.js';
export type { ClaimedJob, EnqueueResult, QueueItem, RetryFilter, UnansweredJob } from './store/jobs.js';
export type { AnalysisKey } from './store/cache.js';
export type { FailureRow, RecentPhoto, StatsRows } from './store/reports.js';
export type { FieldChange, NewWrite, WriteKind, WriteRow } from './store/writes.js';
export type { HistoryFilter, PhotoEntry } from './store/history.js';
export { CacheStore, HistoryStore, JobStore, ReportStore, TelegramStore, WriteStore };

/**
 * The one adapter for SQLite: one connection, split by aggregate. `jobs` (runs, queue, outcomes), `cache`
 * (model answers, catalogues, model calls), `reports` (stats, export, failures, recent), `telegram` (the bot's
 * per-user settings and prompts), `writes` (what each write changed, for show and undo), `history` (every
 * photo, for the HTTP API).
 */
export class Store {
  private readonly db: Database.Database;
  readonly jobs: JobStore;
  readonly cache: CacheStore;
  readonly reports: ReportStore;
  readonly telegram: TelegramStore;
  readonly writes: WriteStore;
  readonly history: HistoryStore;
  private readonly pingStatement: Database.Statement;

  constructor(
    readonly file: string,
    options: OpenOptions = {},
  ) {
    this.db = openDatabase(file, options);
    try {
      this.jobs = new JobStore(this.db);
      this.cache = new CacheStore(this.db);
      this.reports = new ReportStore(this.db);
      this.telegram = new TelegramStore(this.db);
      this.writes = new WriteStore(this.db);
      this.history = new HistoryStore(this.db);
      this.pingStatement = this.db.prepare(`SELECT 1 AS ok`);
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  static inDataDir(dataDir: string, options: OpenOptions = {}): Store {
    return new Store(path.join(dataDir, 'phototag.db'), options);
  }

  ping(): boolean {
    return (this.pingStatement.get() as { ok: number }).ok === 1;
  }

  close(): void {
    this.db.close();
  }
}
