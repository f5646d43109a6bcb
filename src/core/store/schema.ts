import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { FatalError } from '../errors.js';
import { databaseFault, rememberDatabase } from './faults.js';

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
  // 3: a job carries everything it was asked with (so a retry or a restart asks the same and answers whoever
  // asked); a Telegram answer not yet sent is an outbox row; the bot's per-user settings and edit prompts.
  `ALTER TABLE photos ADD COLUMN telegram_chat INTEGER;
   ALTER TABLE photos ADD COLUMN telegram_message INTEGER;
   ALTER TABLE photos ADD COLUMN telegram_lang TEXT;
   ALTER TABLE photos ADD COLUMN reply_pending INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE photos ADD COLUMN languages TEXT;
   ALTER TABLE photos ADD COLUMN hint TEXT;
   ALTER TABLE photos ADD COLUMN regenerate INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE photos ADD COLUMN again INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE photos ADD COLUMN proposal TEXT;
   CREATE INDEX photos_replies ON photos (updated_at) WHERE reply_pending = 1;
   CREATE TABLE telegram_users (
     user TEXT PRIMARY KEY,
     languages TEXT,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE telegram_prompts (
     chat_id INTEGER NOT NULL,
     message_id INTEGER NOT NULL,
     photo_id INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (chat_id, message_id)
   );`,
  // 4: every write phototag makes (tag, apply, Telegram Edit, undo), recorded before the verified copy replaces
  // the file: each field's value before and after, and a delta that rebuilds the file's exact bytes from before
  // (see store/writes.ts), so `phototag show` can tell and `phototag undo` can put it back.
  `CREATE TABLE writes (
     id INTEGER PRIMARY KEY,
     path TEXT NOT NULL,
     target TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('tag', 'apply', 'edit', 'undo')),
     source TEXT,
     run_id INTEGER,
     state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'undone')),
     created INTEGER NOT NULL DEFAULT 0,
     fields TEXT NOT NULL,
     before_sha256 TEXT,
     after_sha256 TEXT NOT NULL,
     image_hash TEXT,
     restore BLOB,
     languages TEXT,
     result TEXT,
     provider TEXT,
     model TEXT,
     tokens INTEGER NOT NULL DEFAULT 0,
     cost REAL NOT NULL DEFAULT 0,
     undoes INTEGER,
     undone_by INTEGER,
     at INTEGER NOT NULL
   );
   CREATE INDEX writes_path ON writes (path, id);
   CREATE INDEX writes_run ON writes (run_id) WHERE run_id IS NOT NULL;
   CREATE INDEX writes_at ON writes (at);
   CREATE INDEX writes_before ON writes (before_sha256);
   CREATE INDEX writes_after ON writes (after_sha256);`,
  // 5: the HTTP API. A job asks for a profile too; the Telegram user's display name goes with the job (stats show
  // names); history is listed by source and searched by text (FTS5 over title, description and keywords, kept by
  // triggers); the stats pass covers processing time; retries and model switches are recorded when they happen.
  `ALTER TABLE photos ADD COLUMN profile TEXT;
   ALTER TABLE photos ADD COLUMN telegram_name TEXT;
   CREATE INDEX photos_source ON photos (source, updated_at);
   DROP INDEX photos_updated;
   CREATE INDEX photos_updated ON photos (updated_at, source, status, cache_hit, tokens_in, tokens_out, cost, duration_ms);
   CREATE TABLE job_events (
     id INTEGER PRIMARY KEY,
     at INTEGER NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('retry', 'model-switch')),
     photo TEXT,
     model TEXT,
     to_model TEXT,
     reason TEXT
   );
   CREATE INDEX job_events_at ON job_events (at, kind, model, to_model);
   CREATE VIRTUAL TABLE photos_text USING fts5(title, description, keywords, content = 'photos', content_rowid = 'id',
     tokenize = 'unicode61 remove_diacritics 2');
   INSERT INTO photos_text (photos_text) VALUES ('rebuild');
   CREATE TRIGGER photos_text_insert AFTER INSERT ON photos BEGIN
     INSERT INTO photos_text (rowid, title, description, keywords) VALUES (new.id, new.title, new.description, new.keywords);
   END;
   CREATE TRIGGER photos_text_delete AFTER DELETE ON photos BEGIN
     INSERT INTO photos_text (photos_text, rowid, title, description, keywords) VALUES ('delete', old.id, old.title, old.description, old.keywords);
   END;
   CREATE TRIGGER photos_text_update AFTER UPDATE OF title, description, keywords ON photos BEGIN
     INSERT INTO photos_text (photos_text, rowid, title, description, keywords) VALUES ('delete', old.id, old.title, old.description, old.keywords);
     INSERT INTO photos_text (rowid, title, description, keywords) VALUES (new.id, new.title, new.description, new.keywords);
   END;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export interface OpenOptions {
  /** The command only reads (stats, export, retry --list): open read-only, so a read-only database works. */
  readonly?: boolean;
}

/**
 * One connection for every repository: WAL, a busy timeout, migrations by user_version. A fault (damaged file,
 * no permission, read-only or full disk, locked) becomes one line saying what to do (see faults.ts).
 */
export function openDatabase(file: string, options: OpenOptions = {}): Database.Database {
  rememberDatabase(file);
  try {
    // An older schema is migrated first, which needs a writable open.
    return (options.readonly && fs.existsSync(file) && openReadonly(file)) || openWritable(file);
  } catch (error) {
    throw databaseFault(error, file) ?? error;
  }
}

function openWritable(file: string): Database.Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { timeout: 10_000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, file);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Read-only. A WAL database on a read-only disk (or in a folder this user cannot write) cannot get its
 * shared-memory file, so SQLite refuses even a read-only open: then it is opened as `immutable` (nothing can
 * change it under us there), which needs URI file names, switched on before the process's first connection.
 */
function openReadonly(file: string): Database.Database | undefined {
  process.env.SQLITE_USE_URI ??= '1';
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 10_000 });
    if (isCurrent(db, file)) return db;
    db.close();
    return undefined;
  } catch (error) {
    db?.close();
    if ((error as { code?: string }).code !== 'SQLITE_CANTOPEN') throw error;
  }
  const uri = `file:${file.split(path.sep).map(encodeURIComponent).join('/')}?immutable=1`;
  db = new Database(uri, { readonly: true, timeout: 10_000 });
  try {
    if (isCurrent(db, file)) return db;
  } catch (error) {
    db.close();
    throw error;
  }
  db.close();
  return undefined;
}

/** False for an older schema (to be migrated); throws for a newer one. */
function isCurrent(db: Database.Database, file: string): boolean {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length)
    throw new FatalError(
      `the database ${file} has schema version ${current}, newer than this phototag (${MIGRATIONS.length}); upgrade phototag`,
    );
  return current === MIGRATIONS.length;
}

function migrate(db: Database.Database, file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new FatalError(
      `Database ${file} has schema version ${current}, newer than this phototag (${MIGRATIONS.length}); upgrade phototag`,
    );
  }
  const apply = db.transaction(() => {
    // Read again under the write lock: a second phototag opening the same new data dir at the same moment
    // may have migrated while this one waited ("table photos already exists").
    const now = db.pragma('user_version', { simple: true }) as number;
    for (let version = now; version < MIGRATIONS.length; version++) {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }
  });
  if (current < MIGRATIONS.length) apply.immediate();
}
