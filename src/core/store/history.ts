import type Database from 'better-sqlite3';
import type { ModelResult, PhotoStatus } from '../types.js';

/** Which photos `GET /api/photos` lists: every filter optional, newest first, a page at a time. */
export interface HistoryFilter {
  status?: PhotoStatus;
  source?: string;
  /** Updated at or after (epoch ms). */
  since?: number;
  /** Updated before (epoch ms). */
  until?: number;
  /** Words the title, description or keywords contain (each word a prefix, all of them required). */
  q?: string;
  limit: number;
  offset: number;
}

/** One photo as the HTTP API shows it: what was asked, what happened, what was written. */
export interface PhotoEntry {
  id: number;
  path: string;
  status: PhotoStatus;
  source: string;
  title: string | null;
  description: string | null;
  keywords: string[];
  /** Every language's text, as written. */
  result: ModelResult | null;
  fieldsWritten: string[];
  warnings: string[];
  error: string | null;
  errorKind: string | null;
  attempts: number;
  provider: string | null;
  model: string | null;
  cacheHit: boolean;
  durationMs: number | null;
  languages: string[] | null;
  hint: string | null;
  profile: string | null;
  telegramUser: string | null;
  createdAt: string;
  updatedAt: string;
}

interface PhotoRow {
  id: number;
  path: string;
  status: PhotoStatus;
  source: string;
  title: string | null;
  description: string | null;
  keywords: string | null;
  result: string | null;
  fields_written: string | null;
  warnings: string | null;
  error: string | null;
  error_kind: string | null;
  attempts: number;
  provider: string | null;
  model: string | null;
  cache_hit: number;
  duration_ms: number | null;
  languages: string | null;
  hint: string | null;
  profile: string | null;
  telegram_user: string | null;
  created_at: number;
  updated_at: number;
}

const COLUMNS = `id, path, status, source, title, description, keywords, result, fields_written, warnings, error, error_kind, attempts,
  provider, model, cache_hit, duration_ms, languages, hint, profile, telegram_user, created_at, updated_at`;

/**
 * Every photo ever recorded, for the HTTP API: by id, or filtered and paged. Only the conditions a request
 * uses go into the statement, so SQLite picks the index that fits (status, source, time, the text index);
 * each shape of statement is prepared once.
 */
export class HistoryStore {
  private readonly byId: Database.Statement;
  private readonly prepared = new Map<string, { page: Database.Statement; count: Database.Statement }>();

  constructor(private readonly db: Database.Database) {
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM photos WHERE id = ?`);
  }

  photo(id: number): PhotoEntry | undefined {
    const row = this.byId.get(id) as PhotoRow | undefined;
    return row && entryOf(row);
  }

  list(filter: HistoryFilter): { total: number; photos: PhotoEntry[] } {
    const match = filter.q === undefined ? undefined : matchQuery(filter.q);
    if (match === null) return { total: 0, photos: [] };
    const params = {
      status: filter.status,
      source: filter.source,
      since: filter.since,
      until: filter.until,
      match,
    };
    const used = Object.entries(params).filter(([, value]) => value !== undefined);
    const key = used.map(([name]) => name).join(',');
    let statements = this.prepared.get(key);
    if (!statements) {
      const where = used.map(([name]) => CONDITIONS[name as keyof typeof CONDITIONS]).join(' AND ') || '1';
      statements = {
        page: this.db.prepare(`SELECT ${COLUMNS} FROM photos WHERE ${where} ORDER BY updated_at DESC, id DESC LIMIT @limit OFFSET @offset`),
        count: this.db.prepare(`SELECT COUNT(*) AS total FROM photos WHERE ${where}`),
      };
      this.prepared.set(key, statements);
    }
    const bound = Object.fromEntries(used);
    const total = (statements.count.get(bound) as { total: number }).total;
    const rows = statements.page.all({ ...bound, limit: filter.limit, offset: filter.offset }) as PhotoRow[];
    return { total, photos: rows.map(entryOf) };
  }
}

const CONDITIONS = {
  status: 'status = @status',
  source: 'source = @source',
  since: 'updated_at >= @since',
  until: 'updated_at < @until',
  match: 'id IN (SELECT rowid FROM photos_text WHERE photos_text MATCH @match)',
};

/**
 * A search box's words as an FTS5 query: every word must be there, each as a prefix ("sun" finds "sunset").
 * Quoted, so nothing a user types is FTS syntax. Null when there is no word to look for.
 */
export function matchQuery(q: string): string | null {
  const words = q.match(/[\p{L}\p{N}]+/gu);
  if (!words) return null;
  return words
    .slice(0, 16)
    .map((word) => `"${word}"*`)
    .join(' ');
}

function entryOf(row: PhotoRow): PhotoEntry {
  return {
    id: row.id,
    path: row.path,
    status: row.status,
    source: row.source,
    title: row.title,
    description: row.description,
    keywords: parseList(row.keywords),
    result: row.result ? (JSON.parse(row.result) as ModelResult) : null,
    fieldsWritten: parseList(row.fields_written),
    warnings: parseList(row.warnings),
    error: row.error,
    errorKind: row.error_kind,
    attempts: row.attempts,
    provider: row.provider,
    model: row.model,
    cacheHit: row.cache_hit === 1,
    durationMs: row.duration_ms,
    languages: row.languages ? row.languages.split(',') : null,
    hint: row.hint,
    profile: row.profile,
    telegramUser: row.telegram_user,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

function parseList(json: string | null): string[] {
  return json ? (JSON.parse(json) as string[]) : [];
}
