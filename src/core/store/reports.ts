import type Database from 'better-sqlite3';
import type { ModelResult, PhotoStatus } from '../types.js';
import { FAILED_WHERE, failedParams, type RetryFilter } from './jobs.js';

export interface FailureRow {
  path: string;
  error: string | null;
  kind: string | null;
  attempts: number;
  updatedAt: number;
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
  groups: {
    day: number;
    source: string;
    status: PhotoStatus;
    cacheHit: number;
    count: number;
    tokens: number;
    cost: number;
    /** Total processing time of the photos that have one, and how many have one. */
    durationMs: number | null;
    timed: number;
  }[];
  queue: { queued: number; running: number };
  models: {
    provider: string;
    model: string;
    calls: number;
    ok: number;
    tokensIn: number;
    tokensOut: number;
    cost: number;
    medianMs: number;
    p95Ms: number;
  }[];
  failures: { kind: string | null; count: number }[];
  failureExamples: { kind: string | null; path: string; error: string | null; at: number }[];
  perTelegramUser: { user: string; name: string | null; done: number; failed: number }[];
  /** Photos per Telegram user and local day. */
  telegramDays: { user: string; day: number; done: number; failed: number }[];
  /** Retries and model switches per local day. */
  events: { day: number; kind: 'retry' | 'model-switch'; count: number }[];
  switches: { from: string; to: string; count: number }[];
}

type ModelRow = { provider: string; model: string; calls: number; ok: number; tokensIn: number; tokensOut: number; cost: number };

/** Read-only views for `stats`, `export`, `retry --list`, the dashboard and the bot. */
export class ReportStore {
  private readonly sql: ReturnType<typeof statements>;

  constructor(db: Database.Database) {
    this.sql = statements(db);
  }

  /**
   * Everything `phototag stats` shows, aggregated in SQL over photos updated and calls made in [since, until):
   * one pass over the photos (grouped by day, source and status), one over the calls, and an index walk per
   * model for its latency percentiles. `dayOffsetMs` shifts UTC into local days.
   */
  statsRows(since: number, until: number, dayOffsetMs: number): StatsRows {
    const range = { since, until, offset: dayOffsetMs };
    const percentile = (m: ModelRow, p: number) =>
      (
        this.sql.nthLatency.get({ provider: m.provider, model: m.model, since, until, n: Math.max(0, Math.ceil(p * m.calls) - 1) }) as {
          ms: number;
        }
      ).ms;
    const models = this.sql.models.all({ since, until }) as ModelRow[];
    return {
      groups: this.sql.groups.all(range) as StatsRows['groups'],
      queue: this.queueDepth(),
      models: models.map((m) => ({ ...m, medianMs: percentile(m, 0.5), p95Ms: percentile(m, 0.95) })),
      failures: this.sql.failureKinds.all({ since, until }) as StatsRows['failures'],
      failureExamples: this.sql.failureExamples.all({ since, until }) as StatsRows['failureExamples'],
      perTelegramUser: this.sql.perTelegramUser.all({ since, until }) as StatsRows['perTelegramUser'],
      telegramDays: this.sql.telegramDays.all(range) as StatsRows['telegramDays'],
      events: this.sql.events.all(range) as StatsRows['events'],
      switches: this.sql.switches.all({ since, until }) as StatsRows['switches'],
    };
  }

  /** Tagged photos with everything written, for `phototag export`. */
  exportRows(filter: { since?: number; paths?: string[] }): { path: string; result: ModelResult | null; updatedAt: number }[] {
    const rows = this.sql.exportRows.all({
      since: filter.since ?? null,
      paths: filter.paths?.length ? JSON.stringify(filter.paths) : null,
    }) as { path: string; result: string; updatedAt: number }[];
    return rows.map((row) => ({ ...row, result: JSON.parse(row.result) as ModelResult }));
  }

  queueDepth(): { queued: number; running: number } {
    return this.sql.queueDepth.get() as { queued: number; running: number };
  }

  /** Failed photos, newest first, for `phototag retry --list`. */
  failures(filter: RetryFilter, limit = 1000): FailureRow[] {
    return this.sql.failures.all({ ...failedParams(filter), limit }) as FailureRow[];
  }

  /** The newest tagged and failed photos, for the dashboard. */
  recent(limit: number): { done: RecentPhoto[]; failed: FailureRow[] } {
    const done = (this.sql.recentDone.all(limit) as (Omit<RecentPhoto, 'keywords'> & { keywords: string | null })[]).map((row) => ({
      ...row,
      keywords: row.keywords ? (JSON.parse(row.keywords) as string[]) : [],
    }));
    return { done, failed: this.failures({}, limit) };
  }
}

function statements(db: Database.Database) {
  return {
    models: db.prepare(
      `SELECT provider, model, COUNT(*) AS calls, SUM(ok) AS ok, SUM(tokens_in) AS tokensIn, SUM(tokens_out) AS tokensOut, SUM(cost) AS cost
       FROM model_calls WHERE at >= @since AND at < @until GROUP BY provider, model ORDER BY calls DESC`,
    ),
    nthLatency: db.prepare(
      `SELECT ms FROM model_calls WHERE provider = @provider AND model = @model AND at >= @since AND at < @until ORDER BY ms LIMIT 1 OFFSET @n`,
    ),
    groups: db.prepare(
      `SELECT CAST((updated_at + @offset) / 86400000 AS INTEGER) AS day, source, status, cache_hit AS cacheHit, COUNT(*) AS count,
              SUM(tokens_in + tokens_out) AS tokens, SUM(cost) AS cost, SUM(duration_ms) AS durationMs, COUNT(duration_ms) AS timed
       FROM photos WHERE updated_at >= @since AND updated_at < @until GROUP BY day, source, status, cache_hit`,
    ),
    failureKinds: db.prepare(
      `SELECT error_kind AS kind, COUNT(*) AS count FROM photos WHERE status = 'failed' AND updated_at >= @since AND updated_at < @until GROUP BY error_kind ORDER BY count DESC`,
    ),
    failureExamples: db.prepare(
      `SELECT kind, path, error, updated_at AS at FROM (
         SELECT error_kind AS kind, path, error, updated_at, ROW_NUMBER() OVER (PARTITION BY error_kind ORDER BY updated_at DESC, id DESC) AS n
         FROM photos WHERE status = 'failed' AND updated_at >= @since AND updated_at < @until) WHERE n <= 3 ORDER BY kind, at DESC`,
    ),
    perTelegramUser: db.prepare(
      `SELECT telegram_user AS user, COUNT(*) FILTER (WHERE status = 'done') AS done, COUNT(*) FILTER (WHERE status = 'failed') AS failed,
              (SELECT n.telegram_name FROM photos n WHERE n.telegram_user = p.telegram_user AND n.telegram_name IS NOT NULL
               ORDER BY n.updated_at DESC LIMIT 1) AS name
       FROM photos p WHERE telegram_user IS NOT NULL AND updated_at >= @since AND updated_at < @until GROUP BY telegram_user ORDER BY done DESC`,
    ),
    telegramDays: db.prepare(
      `SELECT telegram_user AS user, CAST((updated_at + @offset) / 86400000 AS INTEGER) AS day,
              COUNT(*) FILTER (WHERE status = 'done') AS done, COUNT(*) FILTER (WHERE status = 'failed') AS failed
       FROM photos WHERE telegram_user IS NOT NULL AND updated_at >= @since AND updated_at < @until GROUP BY telegram_user, day`,
    ),
    events: db.prepare(
      `SELECT CAST((at + @offset) / 86400000 AS INTEGER) AS day, kind, COUNT(*) AS count
       FROM job_events WHERE at >= @since AND at < @until GROUP BY day, kind`,
    ),
    switches: db.prepare(
      `SELECT model AS "from", to_model AS "to", COUNT(*) AS count FROM job_events
       WHERE at >= @since AND at < @until AND kind = 'model-switch' GROUP BY model, to_model ORDER BY count DESC`,
    ),
    exportRows: db.prepare(
      `SELECT path, result, updated_at AS updatedAt FROM photos
       WHERE status = 'done' AND result IS NOT NULL AND (@since IS NULL OR updated_at >= @since)
         AND (@paths IS NULL OR path IN (SELECT value FROM json_each(@paths)))
       ORDER BY path`,
    ),
    queueDepth: db.prepare(
      `SELECT COUNT(*) FILTER (WHERE status = 'queued') AS queued, COUNT(*) FILTER (WHERE status = 'running') AS running FROM photos WHERE status IN ('queued', 'running')`,
    ),
    failures: db.prepare(
      `SELECT path, error, error_kind AS kind, attempts, updated_at AS updatedAt FROM photos WHERE ${FAILED_WHERE} ORDER BY updated_at DESC, id DESC LIMIT @limit`,
    ),
    recentDone: db.prepare(
      `SELECT path, title, description, keywords, model, updated_at AS updatedAt FROM photos WHERE status = 'done' ORDER BY updated_at DESC, id DESC LIMIT ?`,
    ),
  };
}
