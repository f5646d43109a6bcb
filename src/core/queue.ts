import { currentProcess, isAlive } from './process-identity.js';
import type { ClaimedJob, EnqueueResult, QueueItem, RetryFilter, Store } from './store.js';
import type { PhotoRecord, Source } from './types.js';

/** Where a run's jobs wait. The durable one lives in SQLite; a dry run keeps its jobs in memory. */
export interface JobQueue {
  add(items: readonly QueueItem[]): EnqueueResult[];
  claim(): ClaimedJob | undefined;
  finish(record: PhotoRecord | undefined, file: string): void;
  defer(file: string, delayMs: number, error: string, kind: string, countsAsAttempt: boolean): void;
  pending(): { queued: number; running: number; nextDueAt?: number };
  close(): void;
}

/** The durable queue: jobs survive a crash, and two processes never claim the same photo. */
export class StoreQueue implements JobQueue {
  readonly runId: number;
  private readonly liveness = new Map<number, boolean>();
  /** Jobs left behind by processes that are gone when this run started. */
  readonly deadRunIds: number[];
  readonly recovered: number;

  constructor(
    private readonly store: Store,
    private readonly options: { source: Source; force: boolean; retryFailed: boolean },
  ) {
    this.deadRunIds = store.jobs.deadRuns(isAlive);
    this.recovered = store.jobs.recoverOrphans(this.deadRunIds);
    this.runId = store.jobs.startRun(currentProcess(), options.source);
  }

  add(items: readonly QueueItem[]): EnqueueResult[] {
    return this.store.jobs.enqueue(this.runId, items, { ...this.options, isLiveRun: (id) => this.isLiveRun(id) });
  }

  /** A photo queued or running under a live run stays with it; a run, once seen alive, is asked again later. */
  private isLiveRun(runId: number): boolean {
    let alive = this.liveness.get(runId);
    if (alive === undefined) {
      const run = this.store.jobs.run(runId);
      alive = run !== undefined && !run.ended && isAlive(run.owner);
      if (!alive) this.liveness.set(runId, false);
    }
    return alive;
  }

  /** `phototag retry`: failed photos, and photos left queued by runs that are gone, join this run. */
  requeue(filter: RetryFilter): number {
    return this.store.jobs.requeue(this.runId, filter, this.deadRunIds);
  }

  claim(): ClaimedJob | undefined {
    return this.store.jobs.claim(this.runId);
  }

  finish(record: PhotoRecord | undefined): void {
    if (record) this.store.jobs.recordOutcome(record);
  }

  defer(file: string, delayMs: number, error: string, kind: string, countsAsAttempt: boolean): void {
    this.store.jobs.defer(file, delayMs, error, kind, countsAsAttempt);
  }

  pending() {
    return this.store.jobs.pending(this.runId);
  }

  close(): void {
    this.store.jobs.endRun(this.runId);
  }
}

/** A dry run's queue: nothing about it is recorded. */
export class MemoryQueue implements JobQueue {
  private readonly jobs: { path: string; attempts: number; dueAt: number; running: boolean }[] = [];

  constructor(private readonly source: Source) {}

  add(items: readonly QueueItem[]): EnqueueResult[] {
    return items.map((item) => {
      if (this.jobs.some((job) => job.path === item.path)) return 'pending';
      this.jobs.push({ path: item.path, attempts: 0, dueAt: 0, running: false });
      return 'queued';
    });
  }

  claim(): ClaimedJob | undefined {
    const job = this.jobs.find((j) => !j.running && j.dueAt <= Date.now());
    if (!job) return undefined;
    job.running = true;
    job.attempts++;
    return { path: job.path, attempts: job.attempts, source: this.source };
  }

  finish(_record: PhotoRecord | undefined, file: string): void {
    this.jobs.splice(this.jobs.findIndex((j) => j.path === file), 1);
  }

  defer(file: string, delayMs: number, _error: string, _kind: string, countsAsAttempt: boolean): void {
    const job = this.jobs.find((j) => j.path === file)!;
    job.running = false;
    job.dueAt = Date.now() + delayMs;
    if (!countsAsAttempt) job.attempts--;
  }

  pending() {
    const waiting = this.jobs.filter((j) => !j.running);
    return { queued: waiting.length, running: this.jobs.length - waiting.length, nextDueAt: waiting.length ? Math.min(...waiting.map((j) => j.dueAt)) : undefined };
  }

  close(): void {}
}
