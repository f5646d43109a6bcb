import { currentProcess, isAlive } from './process-identity.js';
import type { JobRequest } from './job.js';
import type { ClaimedJob, EnqueueResult, QueueItem, RetryFilter, Store } from './store.js';
import type { PhotoRecord, Source } from './types.js';

/** How often an idle run looks for jobs that runs which died since have left. */
const ADOPT_EVERY_MS = 30_000;

/** Where a run's jobs wait. The durable one lives in SQLite; a dry run keeps its jobs in memory. */
export interface JobQueue {
  add(items: readonly QueueItem[]): EnqueueResult[];
  claim(): ClaimedJob | undefined;
  finish(record: PhotoRecord | undefined, file: string): void;
  defer(file: string, delayMs: number, error: string, kind: string, countsAsAttempt: boolean): void;
  /** A claimed photo goes back untried (the run stopped before it was sent): due now, no attempt used, its last error kept. */
  release(file: string): void;
  pending(): { queued: number; running: number; nextDueAt?: number };
  close(): void;
}

/** The durable queue: jobs survive a crash, and two processes never claim the same photo. */
export class StoreQueue implements JobQueue {
  readonly runId: number;
  private readonly liveness = new Map<number, boolean>();
  /** Runs that were gone when this run started, and how many of their jobs it took over. */
  readonly adopted: { runs: number[]; queued: number; running: number };
  private lastAdoption = Date.now();

  constructor(
    private readonly store: Store,
    private readonly options: { source: Source; force: boolean; retryFailed: boolean },
  ) {
    this.runId = store.jobs.startRun(currentProcess(), options.source);
    this.adopted = store.jobs.adopt(this.runId, isAlive);
  }

  /** Runs that were gone when this run started (`phototag retry` also takes what they left queued). */
  get deadRunIds(): number[] {
    return this.adopted.runs;
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

  /**
   * The next due job of this run. With nothing due, now and then (a daemon runs for months) the jobs of runs
   * that died since are taken over too.
   */
  claim(): ClaimedJob | undefined {
    const job = this.store.jobs.claim(this.runId);
    if (job || Date.now() - this.lastAdoption < ADOPT_EVERY_MS) return job;
    this.lastAdoption = Date.now();
    this.liveness.clear();
    return this.store.jobs.adopt(this.runId, isAlive).runs.length ? this.store.jobs.claim(this.runId) : undefined;
  }

  finish(record: PhotoRecord | undefined): void {
    if (record) this.store.jobs.recordOutcome(record);
  }

  defer(file: string, delayMs: number, error: string, kind: string, countsAsAttempt: boolean): void {
    this.store.jobs.defer(file, delayMs, error, kind, countsAsAttempt);
  }

  release(file: string): void {
    this.store.jobs.release(file);
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
  private readonly jobs: { path: string; attempts: number; dueAt: number; running: boolean; request?: JobRequest }[] = [];
  private nextId = 1;

  constructor(private readonly source: Source) {}

  add(items: readonly QueueItem[]): EnqueueResult[] {
    return items.map((item) => {
      if (this.jobs.some((job) => job.path === item.path)) return 'pending';
      this.jobs.push({ path: item.path, attempts: 0, dueAt: 0, running: false, request: item.request });
      return 'queued';
    });
  }

  claim(): ClaimedJob | undefined {
    const job = this.jobs.find((j) => !j.running && j.dueAt <= Date.now());
    if (!job) return undefined;
    job.running = true;
    job.attempts++;
    return { ...job.request, id: this.nextId++, path: job.path, attempts: job.attempts, source: job.request?.source ?? this.source };
  }

  finish(_record: PhotoRecord | undefined, file: string): void {
    this.jobs.splice(
      this.jobs.findIndex((j) => j.path === file),
      1,
    );
  }

  defer(file: string, delayMs: number, _error: string, _kind: string, countsAsAttempt: boolean): void {
    const job = this.jobs.find((j) => j.path === file)!;
    job.running = false;
    job.dueAt = Date.now() + delayMs;
    if (!countsAsAttempt) job.attempts--;
  }

  release(file: string): void {
    this.defer(file, 0, '', '', false);
  }

  pending() {
    const waiting = this.jobs.filter((j) => !j.running);
    return {
      queued: waiting.length,
      running: this.jobs.length - waiting.length,
      nextDueAt: waiting.length ? Math.min(...waiting.map((j) => j.dueAt)) : undefined,
    };
  }

  close(): void {}
}
