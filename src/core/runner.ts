import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, FatalError, NotStartedError, PhotoError } from './errors.js';
import { statPhoto, tagPhoto, type PipelineParts, type Stage, type TagOptions, type TimedStage } from './pipeline.js';
import type { JobQueue } from './queue.js';
import { backoffDelay } from './retry.js';
import type { IntakeItem, Job } from './job.js';
import { Slots } from './slots.js';
import type { QueueItem } from './store.js';
import type { PhotoOutcome } from './types.js';
import { removeStrayTemp, TEMP_MARKER } from './writer.js';

export interface RunEvents {
  /** The intake brought a photo (it is queued next, or reported unchanged, busy or unreadable). */
  onFound?: (file: string) => void;
  onStart?: (file: string, job: Job) => void;
  onStage?: (file: string, stage: Stage, job: Job) => void;
  /** How long one stage of a photo took (read, decode, model, write). */
  onTiming?: (file: string, stage: TimedStage, ms: number) => void;
  /** A transient failure: the photo goes back to the queue, due again in `delayMs`. */
  onRetry?: (file: string, reason: string, delayMs: number, attempt: number) => void;
  /**
   * A started photo goes back to the queue without an outcome: the run stopped before its model call, or its call
   * ended the run (key refused, no credit, quota). Like onRetry and onOutcome, it ends what onStart began.
   */
  onReleased?: (file: string) => void;
  /**
   * The run ends early on this error (key refused, no credit, quota, provider unreachable), said at once: the run
   * itself returns only once its intake ends too (a daemon's never does by itself).
   */
  onFatal?: (error: FatalError) => void;
  /** A photo is finished; `job` is the job it finished (none for a photo the intake turned away). */
  onOutcome?: (outcome: PhotoOutcome, job?: Job) => void;
}

export interface RunSummary {
  found: number;
  done: number;
  skipped: number;
  failed: number;
  /** Photos still queued when the run stopped (fatal provider error, daily limit or interrupt). */
  notStarted: number;
  modelCalls: number;
  cacheHits: number;
  tokensIn: number;
  tokensOut: number;
  cost: number;
  durationMs: number;
  /** Why the run stopped early, if it did. */
  stopped?: string;
  fatal?: FatalError;
}

export interface RunSettings {
  /** Model calls at once (the model slots). */
  concurrency: number;
  /** Tries per photo for transient failures. */
  maxAttempts: number;
  signal?: AbortSignal;
  /** Stronger than `signal`: also cut off the photos in progress (their model calls); they go back to the queue. */
  abort?: AbortSignal;
  events?: RunEvents;
  backoff?: { baseMs: number; maxMs: number };
}

export const UNCHANGED_SINCE_FAILED = 'unchanged since it failed (`phototag retry` tries it again)';

/** Enqueue in batches: one IMMEDIATE transaction per batch keeps a 10,000-photo rescan fast. */
const BATCH = 256;

/**
 * Photos in the local stages beside those at the model: read and decoded ahead of a free model slot, or
 * written and verified behind it. Two per model slot and two more: enough that a stretch of slow photos (a
 * folder of HEICs, whose decodes take turns) does not leave the slots idle while the photos after them could
 * be ready (measured, 500 ms model, concurrency 4, mixed batch on 2 cores: 5.5 photos/s with 2 ahead, 6.2
 * with 8, 6.5–6.9 with 12). Memory is not what bounds it: the decodes take turns (prepare.ts), and a photo
 * waiting for a slot holds only its small model-sized JPEG. Not from the core count, which Node 20 takes
 * from the host, not a container's CPU quota.
 */
export function localSlots(concurrency: number): number {
  return Math.min(16, 2 * concurrency + 2);
}

/**
 * Work one run: `intake` yields paths (files given on the command line, a folder walk), each is queued, and
 * workers claim and tag them. Per-photo failures are outcomes; transient ones go back to the queue with
 * backoff until `maxAttempts`; a fatal error (refused key, no credit, daily limit) stops the run and leaves
 * the rest queued for `phototag retry`.
 *
 * A pipeline, not N workers each holding a model slot through its own read, decode and write: there are
 * `concurrency` model slots and `concurrency + localSlots(concurrency)` photos in flight, so a photo is read and
 * decoded while the slots are busy and takes a slot the moment one frees; its write runs after it gave the
 * slot back. Throughput is then concurrency / latency as long as the cores keep up.
 */
export async function runQueue(
  intake: AsyncIterable<IntakeItem> | Iterable<IntakeItem>,
  queue: JobQueue,
  options: TagOptions,
  parts: PipelineParts,
  settings: RunSettings,
): Promise<RunSummary> {
  const started = Date.now();
  const summary: RunSummary = {
    found: 0,
    done: 0,
    skipped: 0,
    failed: 0,
    notStarted: 0,
    modelCalls: 0,
    cacheHits: 0,
    tokensIn: 0,
    tokensOut: 0,
    cost: 0,
    durationMs: 0,
  };
  const events = settings.events ?? {};
  const stop = new AbortController();
  const stopAll = () => stop.abort();
  settings.signal?.addEventListener('abort', stopAll, { once: true });
  let intakeDone = false;
  const waiters = new Set<() => void>();
  const nudge = () => {
    for (const wake of waiters) wake();
  };
  stop.signal.addEventListener('abort', nudge, { once: true });
  const modelSlots = new Slots(settings.concurrency);
  // A photo still waiting for a slot when the run stops is not sent: it goes back to the queue untried.
  // Waiting is a stage of its own (shown as such; not counted towards a stuck worker) when no slot is free.
  const modelSlotFor = (job: Job) => () => {
    if (modelSlots.busy >= modelSlots.size) events.onStage?.(job.path, 'waiting', job);
    return modelSlots.acquire(stop.signal).catch((error: unknown) => {
      throw stop.signal.aborted ? new NotStartedError() : error;
    });
  };
  const endRun = (error: FatalError) => {
    if (!summary.fatal) {
      summary.fatal = error;
      events.onFatal?.(error);
    }
    stop.abort();
  };
  // A run-ending answer (key refused, no credit, quota) stops the run before the pipeline gives its slot back:
  // handed on first, the slot would send the photo waiting for it after the stop.
  const analyze: PipelineParts['analyze'] = (...args) =>
    parts.analyze(...args).catch((error: unknown) => {
      if (error instanceof FatalError) endRun(error);
      throw error;
    });

  const report = (outcome: PhotoOutcome, job?: Job) => {
    count(summary, outcome);
    events.onOutcome?.(outcome, job);
  };

  const fill = async () => {
    try {
      const batch: QueueItem[] = [];
      const cleaned = new Set<string>();
      // A slow intake (a watcher) must not leave photos sitting in a half-full batch.
      let flushTimer: NodeJS.Timeout | undefined;
      const flush = () => {
        clearTimeout(flushTimer);
        if (batch.length === 0) return;
        const results = queue.add(batch);
        batch.forEach((item, i) => {
          const result = results[i]!;
          if (result === 'unchanged')
            report({ file: item.path, status: 'skipped', skip: 'unchanged', reason: 'unchanged since it was tagged', durationMs: 0 });
          if (result === 'busy')
            report({ file: item.path, status: 'skipped', skip: 'busy', reason: 'being tagged by another phototag process', durationMs: 0 });
          if (result === 'failed-before')
            report({ file: item.path, status: 'skipped', skip: 'failed-before', reason: UNCHANGED_SINCE_FAILED, durationMs: 0 });
        });
        batch.length = 0;
        nudge();
      };
      for await (const input of intake) {
        if (stop.signal.aborted) break;
        const file = path.resolve(typeof input === 'string' ? input : input.path);
        const request = typeof input === 'string' ? undefined : input.request;
        summary.found++;
        events.onFound?.(file);
        if (!cleaned.has(path.dirname(file))) {
          cleaned.add(path.dirname(file));
          await removeStrayTemps(path.dirname(file));
        }
        try {
          const stat = await statPhoto(file);
          batch.push({ path: file, size: stat.size, mtimeMs: stat.mtimeMs, request });
        } catch (error) {
          const kind = error instanceof PhotoError ? error.kind : 'unreadable';
          report({ file, status: 'failed', reason: errorMessage(error), errorKind: kind, durationMs: 0 });
        }
        if (batch.length >= BATCH) flush();
        else if (batch.length === 1) flushTimer = setTimeout(flush, 100);
      }
      flush();
    } finally {
      intakeDone = true;
      nudge();
    }
  };

  const work = async () => {
    while (!stop.signal.aborted) {
      const job = queue.claim();
      if (!job) {
        const pending = queue.pending();
        if (intakeDone && pending.queued === 0) return;
        // Nothing due: wait for the intake or for the earliest deferred photo.
        const wait = pending.nextDueAt !== undefined && pending.queued > 0 ? Math.max(0, pending.nextDueAt - Date.now()) : 1000;
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            waiters.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, Math.min(wait, 1000));
          waiters.add(wake);
        });
        continue;
      }
      events.onStart?.(job.path, job);
      try {
        const result = await tagPhoto(
          job,
          options,
          {
            ...parts,
            analyze,
            modelSlot: modelSlotFor(job),
            onStage: (file, stage) => events.onStage?.(file, stage, job),
            onTiming: events.onTiming,
          },
          settings.abort,
        );
        const outcome = result.outcome;
        if (
          outcome.status === 'failed' &&
          outcome.errorKind === 'transient' &&
          (job.attempts < settings.maxAttempts || result.countsAsAttempt === false)
        ) {
          const delay = result.retryAfterMs ?? backoffDelay(job.attempts, settings.backoff ?? { baseMs: 2000, maxMs: 5 * 60_000 });
          queue.defer(job.path, delay, outcome.reason ?? 'transient failure', 'transient', result.countsAsAttempt !== false);
          events.onRetry?.(job.path, outcome.reason ?? '', delay, job.attempts);
          continue;
        }
        queue.finish(result.record, job.path);
        report(outcome, job);
      } catch (error) {
        if (error instanceof NotStartedError) {
          queue.release(job.path);
          events.onReleased?.(job.path);
          continue;
        }
        // Run-ending: the photo goes back to the queue untried, like every other photo not yet done.
        queue.defer(job.path, 0, errorMessage(error), 'provider', false);
        events.onReleased?.(job.path);
        endRun(error instanceof FatalError ? error : new FatalError(errorMessage(error)));
      }
    }
  };

  await Promise.all([fill(), ...Array.from({ length: settings.concurrency + localSlots(settings.concurrency) }, work)]);
  settings.signal?.removeEventListener('abort', stopAll);
  summary.notStarted = queue.pending().queued;
  queue.close();
  if (summary.fatal) summary.stopped = summary.fatal.message;
  // The launcher says why it stopped the run ('output closed'); a plain abort is Ctrl-C.
  else if (settings.signal?.aborted) summary.stopped = typeof settings.signal.reason === 'string' ? settings.signal.reason : 'interrupted';
  summary.durationMs = Date.now() - started;
  return summary;
}

/** Once per folder a run touches: temp files of a phototag that was killed mid-write go. */
async function removeStrayTemps(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) if (name.startsWith(TEMP_MARKER)) await removeStrayTemp(path.join(dir, name));
}

function count(summary: RunSummary, outcome: PhotoOutcome): void {
  summary[outcome.status]++;
  if (outcome.cacheHit) summary.cacheHits++;
  // A failed photo whose model call was paid counts too; a reviewed text (`apply`) called no model.
  else if (outcome.model && outcome.provider !== 'review') summary.modelCalls++;
  summary.tokensIn += outcome.tokensIn ?? 0;
  summary.tokensOut += outcome.tokensOut ?? 0;
  summary.cost += outcome.cost ?? 0;
}
