import { errorMessage } from '../core/errors.js';
import type { Job } from '../core/job.js';
import type { PhotoOutcome } from '../core/types.js';
import { photoId, type Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { Mover } from './mover.js';
import type { TelegramBot } from './telegram.js';

export interface OutcomeParts {
  log: Logger;
  metrics: () => Metrics | undefined;
  bot: () => TelegramBot | undefined;
  mover: () => Mover | undefined;
}

/**
 * One photo's outcome is handled here and only here, in order: reply (Telegram) → metrics → log → move.
 * The move comes last so the reply has read the file; every step is awaited, and a step that fails is
 * logged without skipping the next. `drain()` waits for the outcomes being handled (shutdown).
 */
export class OutcomeHandler {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly parts: OutcomeParts) {}

  handle(outcome: PhotoOutcome, job?: Job): void {
    // The echo of our own write, or a rescan finding nothing new: nothing happened to this photo.
    if (outcome.skip === 'unchanged' || outcome.skip === 'failed-before') return;
    const handling = this.inOrder(outcome, job).catch((error: unknown) =>
      this.parts.log.error('handling a photo outcome failed', { photo: photoId(outcome.file), error: errorMessage(error) }),
    );
    this.pending.add(handling);
    void handling.finally(() => this.pending.delete(handling));
  }

  async drain(): Promise<void> {
    while (this.pending.size) await Promise.all(this.pending);
  }

  private async inOrder(outcome: PhotoOutcome, job: Job | undefined): Promise<void> {
    const { log } = this.parts;
    if (job?.telegram) {
      await this.parts.bot()?.answer(job, {
        status: outcome.status,
        title: outcome.title,
        description: outcome.description,
        keywords: outcome.keywords,
        reason: outcome.reason,
        errorKind: outcome.errorKind,
      });
    }
    step(log, 'metrics', () => this.parts.metrics()?.photo(outcome));
    step(log, 'log', () => logOutcome(log, outcome));
    if (job && outcome.status !== 'skipped') step(log, 'move', () => this.parts.mover()?.move(outcome.file, outcome.status));
  }
}

function step(log: Logger, name: string, run: () => unknown): void {
  try {
    run();
  } catch (error) {
    log.error(`photo outcome: ${name} failed`, { error: errorMessage(error) });
  }
}

function logOutcome(log: Logger, outcome: PhotoOutcome): void {
  const fields = { photo: photoId(outcome.file), file: outcome.file, ms: outcome.durationMs };
  if (outcome.status === 'done')
    log.info('photo tagged', { ...fields, title: outcome.title, model: outcome.model, cached: outcome.cacheHit ?? false });
  else if (outcome.status === 'failed') log.warn('photo failed', { ...fields, kind: outcome.errorKind, reason: outcome.reason });
  else log.info('photo skipped', { ...fields, reason: outcome.reason, skip: outcome.skip });
}
