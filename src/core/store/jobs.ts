import path from 'node:path';
import type Database from 'better-sqlite3';
import type { FailureKind } from '../errors.js';
import type { Job, JobRequest, Proposal } from '../job.js';
import type { ProcessIdentity } from '../process-identity.js';
import { PROFILES, type ProfileName } from '../profiles.js';
import type { PhotoRecord, PhotoStatus, Source } from '../types.js';

export interface QueueItem {
  path: string;
  size: number;
  mtimeMs: number;
  /** What it is asked with; `again` queues it even if recorded as done with this size and time (Regenerate, Edit). */
  request?: JobRequest;
}

/**
 * 'failed-before': a scan found a photo unchanged since it failed; `phototag retry` (or `tag`) tries it again.
 * 'pending': already queued or running in this run. 'busy': queued or running in another live run.
 */
export type EnqueueResult = 'queued' | 'unchanged' | 'busy' | 'failed-before' | 'pending';

export type ClaimedJob = Job;

/** A finished Telegram job whose answer has not been sent yet (the bot was stopped, or the daemon restarted). */
export interface UnansweredJob extends Job {
  status: PhotoStatus;
  title?: string;
  description?: string;
  keywords?: string[];
  error?: string;
  errorKind?: FailureKind;
}

export interface RetryFilter {
  /** Epoch milliseconds. */
  since?: number;
  kind?: string;
  /** Leave failures of these kinds alone (`retry` without a filter skips the permanent ones). */
  exceptKinds?: readonly string[];
  paths?: string[];
  telegramUser?: string;
}

/** The job columns a claim returns, and how they read back. */
const JOB_COLUMNS = `id, path, attempts, source, telegram_user, telegram_name, telegram_chat, telegram_message, telegram_lang, languages, hint, profile, regenerate, again, proposal`;

interface JobRow {
  id: number;
  path: string;
  attempts: number;
  source: Source;
  telegram_user: string | null;
  telegram_name: string | null;
  telegram_chat: number | null;
  telegram_message: number | null;
  telegram_lang: string | null;
  languages: string | null;
  hint: string | null;
  profile: string | null;
  regenerate: number;
  again: number;
  proposal: string | null;
}

function jobOf(row: JobRow): Job {
  const job: Job = { id: row.id, path: row.path, attempts: row.attempts, source: row.source };
  if (row.telegram_user !== null && row.telegram_chat !== null && row.telegram_message !== null) {
    job.telegram = {
      user: row.telegram_user,
      chat: row.telegram_chat,
      statusMessage: row.telegram_message,
      lang: row.telegram_lang === 'ru' ? 'ru' : 'en',
    };
    if (row.telegram_name !== null) job.telegram.name = row.telegram_name;
  }
  if (row.languages) job.languages = row.languages.split(',');
  if (row.hint !== null) job.hint = row.hint;
  if (row.profile !== null && (PROFILES as readonly string[]).includes(row.profile)) job.profile = row.profile as ProfileName;
  if (row.regenerate) job.regenerate = true;
  if (row.again) job.again = true;
  if (row.proposal) job.proposal = JSON.parse(row.proposal) as Proposal;
  return job;
}

/** A request as the named parameters of the job columns. */
function requestParams(request: JobRequest | undefined) {
  return {
    telegramUser: request?.telegram?.user ?? null,
    telegramName: request?.telegram?.name ?? null,
    telegramChat: request?.telegram?.chat ?? null,
    telegramMessage: request?.telegram?.statusMessage ?? null,
    telegramLang: request?.telegram?.lang ?? null,
    replyPending: request?.telegram ? 1 : 0,
    languages: request?.languages?.length ? request.languages.join(',') : null,
    hint: request?.hint ?? null,
    profile: request?.profile ?? null,
    regenerate: request?.regenerate ? 1 : 0,
    again: request?.again ? 1 : 0,
    proposal: request?.proposal ? JSON.stringify(request.proposal) : null,
  };
}

interface RunRow {
  id: number;
  host: string;
  pid: number;
  start_time: string;
  ended_at: number | null;
}

/**
 * The failed photos a retry filter selects, as one fixed SQL condition: absent filters are NULL parameters,
 * a list of paths is a JSON array (so the statement is prepared once, whatever the list).
 */
export const FAILED_WHERE = `status = 'failed'
  AND (@since IS NULL OR updated_at >= @since)
  AND (@kind IS NULL OR error_kind = @kind)
  AND (@exceptKinds IS NULL OR error_kind IS NULL OR error_kind NOT IN (SELECT value FROM json_each(@exceptKinds)))
  AND (@paths IS NULL OR path IN (SELECT value FROM json_each(@paths)))
  AND (@telegramUser IS NULL OR telegram_user = @telegramUser)`;

export function failedParams(filter: RetryFilter): {
  since: number | null;
  kind: string | null;
  exceptKinds: string | null;
  paths: string | null;
  telegramUser: string | null;
} {
  return {
    since: filter.since ?? null,
    kind: filter.kind || null,
    exceptKinds: filter.exceptKinds?.length ? JSON.stringify(filter.exceptKinds) : null,
    paths: filter.paths?.length ? JSON.stringify(filter.paths) : null,
    telegramUser: filter.telegramUser || null,
  };
}

/**
 * The job queue and who works it: a photo row with status 'queued' is a job; its run_id says which run will
 * work it. Writes run in IMMEDIATE transactions; every statement is prepared once.
 */
export class JobStore {
  private readonly sql: ReturnType<typeof statements>;

  constructor(private readonly db: Database.Database) {
    this.sql = statements(db);
  }

  startRun(owner: ProcessIdentity, source: Source): number {
    return Number(this.sql.startRun.run(owner.host, owner.pid, owner.startTime, source, Date.now()).lastInsertRowid);
  }

  endRun(runId: number): void {
    this.sql.endRun.run(Date.now(), runId);
  }

  /** Runs that ended or whose process is gone: their jobs are free to take. */
  deadRuns(isAlive: (owner: ProcessIdentity) => boolean): number[] {
    return (this.sql.owners.all() as RunRow[])
      .filter((run) => run.ended_at !== null || !isAlive({ host: run.host, pid: run.pid, startTime: run.start_time }))
      .map((run) => run.id);
  }

  run(runId: number): { owner: ProcessIdentity; ended: boolean } | undefined {
    const row = this.sql.run.get(runId) as Omit<RunRow, 'id'> | undefined;
    return row && { owner: { host: row.host, pid: row.pid, startTime: row.start_time }, ended: row.ended_at !== null };
  }

  /**
   * Take over the queued and running jobs of every run that ended or whose process is gone (any kind, this
   * host or one it can prove dead): they become this run's queued jobs, with everything they were asked
   * with. A job left running is not charged the attempt the crash interrupted. One IMMEDIATE transaction,
   * so two runs starting together never adopt the same job.
   */
  adopt(runId: number, isAlive: (owner: ProcessIdentity) => boolean): { runs: number[]; queued: number; running: number } {
    return this.db
      .transaction(() => {
        const runs = this.deadRuns(isAlive).filter((id) => id !== runId);
        if (runs.length === 0) return { runs, queued: 0, running: 0 };
        const counts = this.sql.adoptCounts.get(JSON.stringify(runs)) as { queued: number | null; running: number | null };
        this.sql.adopt.run({ runId, runs: JSON.stringify(runs), now: Date.now() });
        return { runs, queued: counts.queued ?? 0, running: counts.running ?? 0 };
      })
      .immediate();
  }

  /**
   * Put photos on this run's queue, in one IMMEDIATE transaction. A photo done with the same size and mtime
   * is 'unchanged' (unless `force`); one queued or running under a live run stays with it ('busy'); one that
   * failed is tried again only when `retryFailed` (tag, retry), not by every rescan.
   */
  enqueue(
    runId: number,
    items: readonly QueueItem[],
    options: { force: boolean; retryFailed: boolean; source: Source; isLiveRun: (runId: number) => boolean },
  ): EnqueueResult[] {
    return this.db
      .transaction(() =>
        items.map((item): EnqueueResult => {
          const row = this.sql.find.get(item.path) as
            { status: PhotoStatus; size: number; mtime_ms: number; run_id: number | null; error_kind: string | null } | undefined;
          const same = row !== undefined && row.size === item.size && row.mtime_ms === Math.trunc(item.mtimeMs);
          // A photo put back by `phototag undo` is left alone by scans and the watcher, and tagged when named (tag, retry).
          const undone = row?.status === 'skipped' && row.error_kind === 'undone' && options.retryFailed;
          if (same && !options.force && !item.request?.again && !undone && (row.status === 'done' || row.status === 'skipped'))
            return 'unchanged';
          if (same && !options.force && !options.retryFailed && row.status === 'failed') return 'failed-before';
          const waiting = row !== undefined && (row.status === 'queued' || row.status === 'running');
          // Already this run's job (a watcher's second event for it): never a second worker on one photo.
          if (waiting && row.run_id === runId) return 'pending';
          if (waiting && row.run_id !== null && options.isLiveRun(row.run_id)) return 'busy';
          this.sql.insert.run({
            path: item.path,
            size: item.size,
            mtimeMs: Math.trunc(item.mtimeMs),
            source: item.request?.source ?? options.source,
            runId,
            now: Date.now(),
            ...requestParams(item.request),
          });
          return 'queued';
        }),
      )
      .immediate();
  }

  /** Claim the next due job of this run with one statement: two processes never get the same photo. */
  claim(runId: number): ClaimedJob | undefined {
    const row = this.sql.claim.get({ runId, now: Date.now() }) as JobRow | undefined;
    return row && jobOf(row);
  }

  /** Where a photo's Telegram answer goes now (a /retry sends a new status message); the answer is owed again. */
  answerTo(file: string, telegram: JobRequest['telegram'] & object): void {
    this.sql.answerTo.run({ path: file, ...requestParams({ telegram }) });
  }

  /** The Telegram answer for this job was sent. */
  answered(id: number): void {
    this.sql.answered.run(id);
  }

  /** Finished Telegram jobs whose answer is still owed, oldest first. */
  unanswered(limit = 100): UnansweredJob[] {
    const rows = this.sql.unanswered.all(limit) as (JobRow & {
      status: PhotoStatus;
      title: string | null;
      description: string | null;
      keywords: string | null;
      error: string | null;
      error_kind: FailureKind | null;
    })[];
    return rows.map((row) => ({
      ...jobOf(row),
      status: row.status,
      title: row.title ?? undefined,
      description: row.description ?? undefined,
      keywords: row.keywords ? (JSON.parse(row.keywords) as string[]) : undefined,
      error: row.error ?? undefined,
      errorKind: row.error_kind ?? undefined,
    }));
  }

  /** A job by its id (the Regenerate and Edit buttons carry it), with the photo's current path. */
  job(id: number): (Job & { status: PhotoStatus }) | undefined {
    const row = this.sql.jobById.get(id) as (JobRow & { status: PhotoStatus }) | undefined;
    return row && { ...jobOf(row), status: row.status };
  }

  /** The id of a photo's row (for buttons that must outlive a restart). */
  idOf(file: string): number | undefined {
    return (this.sql.idOf.get(file) as { id: number } | undefined)?.id;
  }

  /**
   * Back to the queue after a transient failure, due again in `delayMs`. A transient one is a retry and is
   * recorded as such in the same transaction (stats and the metrics count the same retries).
   */
  defer(file: string, delayMs: number, error: string, kind: string, countAttempt = true): void {
    this.db
      .transaction(() => {
        const now = Date.now();
        this.sql.defer.run(now + delayMs, error, kind, countAttempt ? 0 : 1, now, file);
        if (kind === 'transient') this.sql.retryEvent.run(now, file, error.slice(0, 500));
      })
      .immediate();
  }

  /** A claimed job back to queued, untried: due now, the attempt its claim counted given back. */
  release(file: string): void {
    this.sql.release.run(Date.now(), Date.now(), file);
  }

  /** How many jobs this run still has, and when the earliest deferred one is due. */
  pending(runId: number): { queued: number; running: number; nextDueAt?: number } {
    const row = this.sql.pending.get(runId) as { queued: number | null; running: number | null; next: number | null };
    return { queued: row.queued ?? 0, running: row.running ?? 0, nextDueAt: row.next ?? undefined };
  }

  /**
   * `phototag retry`: failed photos matching the filter, and photos left queued by runs that are gone,
   * move to this run's queue with fresh attempts.
   */
  requeue(runId: number, filter: RetryFilter, deadRunIds: readonly number[]): number {
    const orphansOf = filter.paths?.length || filter.kind || deadRunIds.length === 0 ? null : JSON.stringify(deadRunIds);
    return this.sql.requeue.run({ runId, now: Date.now(), orphansOf, ...failedParams(filter) }).changes;
  }

  /** A photo moved (the daemon's processed and failed folders): its record follows it, and so do its writes (show, undo). */
  movePath(from: string, to: string): void {
    this.sql.movePath.run(to, from);
    // Its sidecars move with it under the same stem (`IMG_1.xmp`, `IMG_1.CR2.xmp` → `IMG_1 (2).xmp`, …).
    const stem = (file: string) => file.slice(0, file.length - path.extname(file).length);
    this.sql.moveWrites.run({ from, to, fromStem: stem(from), toStem: stem(to) });
  }

  /** Store the outcome of one photo in one statement, so a crash leaves either the old or the new row. */
  recordOutcome(record: PhotoRecord): void {
    this.sql.recordOutcome.run({
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
}

function statements(db: Database.Database) {
  return {
    startRun: db.prepare(`INSERT INTO runs (host, pid, start_time, source, started_at) VALUES (?, ?, ?, ?, ?)`),
    endRun: db.prepare(`UPDATE runs SET ended_at = ? WHERE id = ?`),
    owners: db.prepare(
      `SELECT id, host, pid, start_time, ended_at FROM runs WHERE id IN (SELECT DISTINCT run_id FROM photos WHERE status IN ('queued', 'running') AND run_id IS NOT NULL)`,
    ),
    run: db.prepare(`SELECT host, pid, start_time, ended_at FROM runs WHERE id = ?`),
    adoptCounts: db.prepare(
      `SELECT SUM(status = 'queued') AS queued, SUM(status = 'running') AS running FROM photos
       WHERE status IN ('queued', 'running') AND run_id IN (SELECT value FROM json_each(?))`,
    ),
    adopt: db.prepare(
      `UPDATE photos SET run_id = @runId, status = 'queued', updated_at = @now,
         attempts = CASE WHEN status = 'running' THEN MAX(attempts - 1, 0) ELSE attempts END
       WHERE status IN ('queued', 'running') AND run_id IN (SELECT value FROM json_each(@runs))`,
    ),
    answerTo: db.prepare(
      `UPDATE photos SET telegram_user = @telegramUser, telegram_name = COALESCE(@telegramName, telegram_name), telegram_chat = @telegramChat,
         telegram_message = @telegramMessage, telegram_lang = @telegramLang, reply_pending = @replyPending WHERE path = @path`,
    ),
    answered: db.prepare(`UPDATE photos SET reply_pending = 0 WHERE id = ?`),
    unanswered: db.prepare(
      `SELECT ${JOB_COLUMNS}, status, title, description, keywords, error, error_kind FROM photos
       WHERE reply_pending = 1 AND status IN ('done', 'skipped', 'failed') ORDER BY updated_at, id LIMIT ?`,
    ),
    jobById: db.prepare(`SELECT ${JOB_COLUMNS}, status FROM photos WHERE id = ?`),
    idOf: db.prepare(`SELECT id FROM photos WHERE path = ?`),
    find: db.prepare(`SELECT status, size, mtime_ms, run_id, error_kind FROM photos WHERE path = ?`),
    insert: db.prepare(
      `INSERT INTO photos (path, size, mtime_ms, status, source, run_id, attempts, next_attempt_at, created_at, updated_at,
                           telegram_user, telegram_name, telegram_chat, telegram_message, telegram_lang, reply_pending, languages, hint, profile,
                           regenerate, again, proposal)
       VALUES (@path, @size, @mtimeMs, 'queued', @source, @runId, 0, 0, @now, @now, @telegramUser, @telegramName, @telegramChat,
               @telegramMessage, @telegramLang, @replyPending, @languages, @hint, @profile, @regenerate, @again, @proposal)
       ON CONFLICT (path) DO UPDATE SET status = 'queued', source = excluded.source, run_id = excluded.run_id, attempts = 0,
         next_attempt_at = 0, error = NULL, error_kind = NULL, updated_at = excluded.updated_at,
         telegram_user = COALESCE(excluded.telegram_user, telegram_user), telegram_name = COALESCE(excluded.telegram_name, telegram_name),
         telegram_chat = excluded.telegram_chat, telegram_message = excluded.telegram_message, telegram_lang = excluded.telegram_lang, reply_pending = excluded.reply_pending,
         languages = excluded.languages, hint = excluded.hint, profile = excluded.profile, regenerate = excluded.regenerate, again = excluded.again, proposal = excluded.proposal`,
    ),
    claim: db.prepare(
      `UPDATE photos SET status = 'running', attempts = attempts + 1, updated_at = @now
       WHERE id = (SELECT id FROM photos WHERE run_id = @runId AND status = 'queued' AND next_attempt_at <= @now ORDER BY id LIMIT 1)
       RETURNING ${JOB_COLUMNS}`,
    ),
    defer: db.prepare(
      `UPDATE photos SET status = 'queued', next_attempt_at = ?, error = ?, error_kind = ?, attempts = attempts - ?, updated_at = ? WHERE path = ?`,
    ),
    release: db.prepare(
      `UPDATE photos SET status = 'queued', next_attempt_at = ?, attempts = attempts - 1, updated_at = ? WHERE path = ? AND status = 'running'`,
    ),
    retryEvent: db.prepare(`INSERT INTO job_events (at, kind, photo, reason) VALUES (?, 'retry', ?, ?)`),
    pending: db.prepare(
      `SELECT SUM(status = 'queued') AS queued, SUM(status = 'running') AS running, MIN(CASE WHEN status = 'queued' THEN next_attempt_at END) AS next
       FROM photos WHERE run_id = ? AND status IN ('queued', 'running')`,
    ),
    requeue: db.prepare(
      `UPDATE photos SET status = 'queued', run_id = @runId, attempts = 0, next_attempt_at = 0, updated_at = @now
       WHERE (${FAILED_WHERE}) OR (@orphansOf IS NOT NULL AND status = 'queued' AND run_id IN (SELECT value FROM json_each(@orphansOf)))`,
    ),
    movePath: db.prepare(`UPDATE photos SET path = ? WHERE path = ?`),
    moveWrites: db.prepare(
      `UPDATE writes SET path = @to, target = CASE WHEN target = @from THEN @to
         WHEN substr(target, 1, length(@fromStem)) = @fromStem THEN @toStem || substr(target, length(@fromStem) + 1) ELSE target END
       WHERE path = @from`,
    ),
    recordOutcome: db.prepare(
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
    ),
  };
}
