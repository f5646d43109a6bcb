import path from 'node:path';
import { FatalError } from './errors.js';
import { tagPhoto, type PipelineParts, type Stage, type TagOptions } from './pipeline.js';
import type { PhotoOutcome } from './types.js';

export interface RunEvents {
  onStart?: (file: string) => void;
  onStage?: (file: string, stage: Stage) => void;
  onOutcome?: (outcome: PhotoOutcome) => void;
}

export interface RunSummary {
  total: number;
  done: number;
  skipped: number;
  failed: number;
  /** Photos never started because the run stopped (fatal provider error or interrupt). */
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

/** Tag `files` with at most `concurrency` at a time; per-photo failures are outcomes, a fatal error stops the rest. */
export async function runBatch(files: readonly string[], options: TagOptions, parts: PipelineParts, run: { concurrency: number; signal?: AbortSignal; events?: RunEvents }): Promise<RunSummary> {
  const { default: PQueue } = await import('p-queue');
  const queue = new PQueue({ concurrency: run.concurrency });
  const started = Date.now();
  const summary: RunSummary = { total: files.length, done: 0, skipped: 0, failed: 0, notStarted: 0, modelCalls: 0, cacheHits: 0, tokensIn: 0, tokensOut: 0, cost: 0, durationMs: 0 };
  const stop = new AbortController();
  const stopAll = () => stop.abort();
  run.signal?.addEventListener('abort', stopAll, { once: true });
  const seen = new Set<string>();

  for (const input of files) {
    const file = path.resolve(input);
    if (seen.has(file)) {
      summary.total--;
      continue;
    }
    seen.add(file);
    void queue.add(async () => {
      if (stop.signal.aborted) {
        summary.notStarted++;
        return;
      }
      run.events?.onStart?.(file);
      try {
        // Photos already started are finished, not aborted: an interrupt never leaves one half done.
        const outcome = await tagPhoto(file, options, { ...parts, onStage: run.events?.onStage });
        count(summary, outcome);
        run.events?.onOutcome?.(outcome);
      } catch (error) {
        summary.fatal ??= error instanceof FatalError ? error : new FatalError(String(error));
        summary.notStarted++;
        stop.abort();
      }
    });
  }
  await queue.onIdle();
  run.signal?.removeEventListener('abort', stopAll);
  if (summary.fatal) summary.stopped = summary.fatal.message;
  else if (run.signal?.aborted) summary.stopped = 'interrupted';
  summary.durationMs = Date.now() - started;
  return summary;
}

function count(summary: RunSummary, outcome: PhotoOutcome): void {
  summary[outcome.status]++;
  if (outcome.cacheHit) summary.cacheHits++;
  else if (outcome.model && outcome.status !== 'failed') summary.modelCalls++;
  summary.tokensIn += outcome.tokensIn ?? 0;
  summary.tokensOut += outcome.tokensOut ?? 0;
  summary.cost += outcome.cost ?? 0;
}
