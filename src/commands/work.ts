import fs from 'node:fs';
import { loadConfig } from '../core/config/load.js';
import type { Proposal } from '../core/pipeline.js';
import { imageDigests, reviewCsv } from '../core/review.js';
import type { PhotoOutcome } from '../core/types.js';
import { ExitCode } from '../core/errors.js';
import { openSession, type Session } from '../core/session.js';
import type { Source } from '../core/types.js';
import { commandExitCode } from './exit-code.js';
import { flagsToConfig, type TagFlags } from './options.js';
import { jsonReporter, plainReporter, reporterEvents, type Reporter } from './reporter.js';

export interface WorkPlan {
  source: Source;
  /** The photos this run brings; the queue may hold more (retry). */
  intake: (session: Session, notice: (text: string) => void) => AsyncIterable<string> | Iterable<string>;
  /** Known up front (tag), or found while walking (scan). */
  total?: number;
  /** Scan: photos found unchanged are counted, not listed one per line. */
  quietUnchanged?: boolean;
  /** Runs after the session opens and before the work starts; returns a line to show, if any. */
  before?: (session: Session) => string | undefined;
  proposals?: ReadonlyMap<string, Proposal>;
}

/** The shared body of tag, scan and retry: config, session, reporter, run, exit code. */
export async function runWork(flags: TagFlags & { config?: string }, signal: AbortSignal, plan: WorkPlan): Promise<void> {
  const { config } = await loadConfig({ configFile: flags.config, flags: flagsToConfig(flags) });
  const reporter = await chooseReporter(flags, plan.quietUnchanged ?? false);
  const session = await openSession(config, {
    dryRun: flags.dryRun ?? false,
    source: plan.source,
    hint: flags.hint,
    proposals: plan.proposals,
    withoutModel: plan.proposals !== undefined,
    onWarning: (message) => reporter.notice(message),
    onPause: (model, until, reason) =>
      reporter.notice(`model ${model} paused until ${new Date(until).toLocaleTimeString()} after repeated failures (${reason})`),
  });
  try {
    const note = plan.before?.(session);
    if (note) reporter.notice(note);
    reporter.start(plan.total);
    const review: PhotoOutcome[] = [];
    const events = reporterEvents(reporter);
    const onOutcome = events.onOutcome!;
    if (flags.export) events.onOutcome = (outcome) => (review.push(outcome), onOutcome(outcome));
    const onStop = () => reporter.stopping?.();
    signal.addEventListener('abort', onStop, { once: true });
    const summary = await session
      .run(
        untilDone(
          plan.intake(session, (text) => reporter.notice(text)),
          () => reporter.intakeDone?.(),
        ),
        { signal, events },
      )
      .finally(() => signal.removeEventListener('abort', onStop));
    if (flags.export) {
      fs.writeFileSync(flags.export, reviewCsv(review, config.languages, await imageDigests(review, session.tool)));
      reporter.notice(
        `${review.filter((o) => o.status === 'done').length} proposals written to ${flags.export}; edit it, then \`phototag apply ${flags.export}\``,
      );
    }
    await reporter.finish(summary);
    commandExitCode.value = summary.failed > 0 || summary.stopped ? ExitCode.failed : ExitCode.ok;
  } finally {
    await session.close();
  }
}

/** The intake's photos, then `done()` once it has no more (a scan's walk is over: its total is known). */
async function* untilDone<T>(intake: AsyncIterable<T> | Iterable<T>, done: () => void): AsyncIterable<T> {
  yield* intake;
  done();
}

async function chooseReporter(flags: TagFlags, quietUnchanged: boolean): Promise<Reporter> {
  const options = { quietUnchanged, dryRun: flags.dryRun ?? false };
  if (flags.json) return jsonReporter(process.stdout, process.stderr, options);
  if (process.stdout.isTTY && !process.env.CI) {
    const { inkReporter } = await import('./ink-reporter.js');
    return inkReporter(options);
  }
  return plainReporter(options);
}
