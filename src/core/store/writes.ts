import type Database from 'better-sqlite3';
import type { ModelResult } from '../types.js';

/** What made a write: the model (`tag`), a reviewed CSV (`apply`), a Telegram Edit (`edit`), or `undo`. */
export type WriteKind = 'tag' | 'apply' | 'edit' | 'undo';

/** One field a write changed: its value before (null: absent) and the value written (null: deleted). */
export interface FieldChange {
  tag: string;
  before: unknown;
  after: unknown;
}

export interface NewWrite {
  /** The photo. */
  path: string;
  /** The file written: the photo itself, or its sidecar. */
  target: string;
  kind: WriteKind;
  source?: string;
  /** The target did not exist before (a sidecar phototag created). */
  created: boolean;
  fields: FieldChange[];
  /** SHA-256 of the target before the write (none when it was created) and after it. */
  beforeSha256?: string;
  afterSha256: string;
  /** Digest of the photo's image data (in-file writes), the same before and after: the write was verified. */
  imageHash?: string;
  /** The delta (see delta.ts) that rebuilds the target's exact bytes before the write from its bytes after. */
  restore?: Buffer;
  languages?: string[];
  result?: ModelResult;
  provider?: string;
  model?: string;
  tokens?: number;
  cost?: number;
  /** An undo: the write it undid. */
  undoes?: number;
}

/** 'pending': recorded, the verified copy not yet in place (a crash there leaves it so; see `settle`). */
export type WriteState = 'pending' | 'done' | 'undone';

export interface WriteRow extends NewWrite {
  id: number;
  runId?: number;
  state: WriteState;
  undoneBy?: number;
  at: number;
}

interface Row {
  id: number;
  path: string;
  target: string;
  kind: WriteKind;
  source: string | null;
  run_id: number | null;
  state: WriteState;
  created: number;
  fields: string;
  before_sha256: string | null;
  after_sha256: string;
  image_hash: string | null;
  restore: Buffer | null;
  languages: string | null;
  result: string | null;
  provider: string | null;
  model: string | null;
  tokens: number;
  cost: number;
  undoes: number | null;
  undone_by: number | null;
  at: number;
}

function rowOf(row: Row): WriteRow {
  return {
    id: row.id,
    path: row.path,
    target: row.target,
    kind: row.kind,
    source: row.source ?? undefined,
    runId: row.run_id ?? undefined,
    state: row.state,
    created: row.created === 1,
    fields: JSON.parse(row.fields) as FieldChange[],
    beforeSha256: row.before_sha256 ?? undefined,
    afterSha256: row.after_sha256,
    imageHash: row.image_hash ?? undefined,
    restore: row.restore ?? undefined,
    languages: row.languages ? row.languages.split(',') : undefined,
    result: row.result ? (JSON.parse(row.result) as ModelResult) : undefined,
    provider: row.provider ?? undefined,
    model: row.model ?? undefined,
    tokens: row.tokens,
    cost: row.cost,
    undoes: row.undoes ?? undefined,
    undoneBy: row.undone_by ?? undefined,
    at: row.at,
  };
}

/**
 * The write journal: every write phototag makes into a photo or sidecar, recorded (durably, in its own
 * statement) before the verified copy replaces the file, then confirmed. `phototag show` reads it and
 * `phototag undo` puts the fields back from it.
 */
export class WriteStore {
  private readonly sql: ReturnType<typeof statements>;

  constructor(db: Database.Database) {
    this.sql = statements(db);
  }

  /** Before the commit: the write as it will be, 'pending'. The run is the one that owns the photo's job. */
  record(entry: NewWrite): number {
    return Number(
      this.sql.insert.run({
        path: entry.path,
        target: entry.target,
        kind: entry.kind,
        source: entry.source ?? null,
        created: entry.created ? 1 : 0,
        fields: JSON.stringify(entry.fields),
        beforeSha256: entry.beforeSha256 ?? null,
        afterSha256: entry.afterSha256,
        imageHash: entry.imageHash ?? null,
        restore: entry.restore ?? null,
        languages: entry.languages?.join(',') ?? null,
        result: entry.result ? JSON.stringify(entry.result) : null,
        provider: entry.provider ?? null,
        model: entry.model ?? null,
        tokens: entry.tokens ?? 0,
        cost: entry.cost ?? 0,
        undoes: entry.undoes ?? null,
        at: Date.now(),
      }).lastInsertRowid,
    );
  }

  /** The verified copy is in place. */
  committed(id: number): void {
    this.sql.setState.run('done', id);
  }

  /** The write did not happen (a failed check after recording): nothing to remember. */
  abandoned(id: number): void {
    this.sql.remove.run(id);
  }

  /** A pending write found in place after all (its file holds what it wrote), or never made (it holds the old). */
  settle(id: number, happened: boolean): void {
    if (happened) this.committed(id);
    else this.abandoned(id);
  }

  /** `undo` put this write's fields back; `by` is the undo's own row. */
  undone(id: number, by: number): void {
    this.sql.undone.run(by, id);
  }

  get(id: number): WriteRow | undefined {
    const row = this.sql.get.get(id) as Row | undefined;
    return row && rowOf(row);
  }

  /** Every write to one photo, oldest first. */
  history(path: string): WriteRow[] {
    return (this.sql.history.all(path) as Row[]).map(rowOf);
  }

  /** Writes (not undos) still in effect, newest first, of one run or since a time. */
  undoable(filter: { runId?: number; since?: number }): WriteRow[] {
    return (this.sql.undoable.all({ runId: filter.runId ?? null, since: filter.since ?? null }) as Row[]).map(rowOf);
  }

  /** The image data digest of a file content phototag wrote from or to (a review CSV's `sha256`), if known. */
  imageHashOf(sha256: string): string | undefined {
    return (this.sql.imageHashOf.get({ sha256 }) as { image_hash: string } | undefined)?.image_hash;
  }

  /**
   * The photo was put back: recorded as skipped ('undone') with its size and time now, so a scan or the watcher
   * leaves it alone (it would otherwise tag it again at once), while `tag` and `retry` of that photo tag it.
   */
  markUndone(path: string, size: number, mtimeMs: number): void {
    this.sql.markUndone.run({ path, size, mtimeMs: Math.trunc(mtimeMs), now: Date.now() });
  }
}

function statements(db: Database.Database) {
  return {
    insert: db.prepare(
      `INSERT INTO writes (path, target, kind, source, run_id, state, created, fields, before_sha256, after_sha256, image_hash, restore,
                           languages, result, provider, model, tokens, cost, undoes, at)
       VALUES (@path, @target, @kind, @source, (SELECT run_id FROM photos WHERE path = @path), 'pending', @created, @fields,
               @beforeSha256, @afterSha256, @imageHash, @restore, @languages, @result, @provider, @model, @tokens, @cost, @undoes, @at)`,
    ),
    setState: db.prepare(`UPDATE writes SET state = ? WHERE id = ?`),
    remove: db.prepare(`DELETE FROM writes WHERE id = ? AND state = 'pending'`),
    undone: db.prepare(`UPDATE writes SET state = 'undone', undone_by = ? WHERE id = ?`),
    get: db.prepare(`SELECT * FROM writes WHERE id = ?`),
    history: db.prepare(`SELECT * FROM writes WHERE path = ? ORDER BY id`),
    undoable: db.prepare(
      `SELECT * FROM writes WHERE kind != 'undo' AND state != 'undone'
         AND (@runId IS NULL OR run_id = @runId) AND (@since IS NULL OR at >= @since)
       ORDER BY id DESC`,
    ),
    imageHashOf: db.prepare(
      `SELECT image_hash FROM writes WHERE (before_sha256 = @sha256 OR after_sha256 = @sha256) AND image_hash IS NOT NULL ORDER BY id DESC LIMIT 1`,
    ),
    markUndone: db.prepare(
      `UPDATE photos SET status = 'skipped', error_kind = 'undone', error = NULL, size = @size, mtime_ms = @mtimeMs, updated_at = @now
       WHERE path = @path AND status NOT IN ('queued', 'running')`,
    ),
  };
}
