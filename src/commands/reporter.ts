import type { RunEvents, RunSummary } from '../core/runner.js';
import type { Stage } from '../core/pipeline.js';
import type { PhotoOutcome } from '../core/types.js';
import { escapeControls } from '../core/escape.js';

/** How a tagging run is shown: ink on a TTY, plain lines in a pipe, NDJSON with --json. */
export interface Reporter {
  /** `total` is known for tag, unknown (still being found) for scan. */
  start(total?: number): void;
  /** Something the user should know that is not one photo's outcome (a paused model, a retry count). */
  notice(text: string): void;
  /** A photo was found by the intake (ink counts them while a scan walks). */
  found?(file: string): void;
  photoStarted(file: string): void;
  stage(file: string, stage: Stage): void;
  outcome(outcome: PhotoOutcome): void;
  finish(summary: RunSummary): Promise<void> | void;
}

export function reporterEvents(reporter: Reporter): RunEvents {
  return {
    onFound: (file) => reporter.found?.(file),
    onStart: (file) => reporter.photoStarted(file),
    onStage: (file, stage) => reporter.stage(file, stage),
    onOutcome: (outcome) => reporter.outcome(outcome),
  };
}

export interface ReporterOptions {
  /** Don't list photos skipped as unchanged since they were tagged (a rescan has thousands). */
  quietUnchanged: boolean;
}

export function isQuiet(outcome: PhotoOutcome, options: ReporterOptions): boolean {
  return options.quietUnchanged && outcome.status === 'skipped' && (outcome.skip === 'unchanged' || outcome.skip === 'failed-before');
}

export function summaryLine(summary: RunSummary): string {
  const parts = [`${summary.done} done`, `${summary.skipped} skipped`, `${summary.failed} failed`];
  if (summary.notStarted > 0) parts.push(`${summary.notStarted} still queued (\`phototag retry\` resumes them)`);
  const tokens = summary.tokensIn + summary.tokensOut;
  const found = summary.found > 0 ? ` of ${summary.found} found` : '';
  return `${parts.join(', ')}${found} in ${(summary.durationMs / 1000).toFixed(1)} s · ${summary.modelCalls} analyzed, ${summary.cacheHits} from cache · ${tokens} tokens · $${summary.cost.toFixed(4)}`;
}

/** One photo's line for people: every piece that came from outside (names, reasons, model text) escaped. */
export function outcomeLine(outcome: PhotoOutcome, cwd = process.cwd()): string {
  const name = displayPath(outcome.file, cwd);
  const reason = escapeControls(outcome.reason ?? '');
  if (outcome.status === 'failed') return `✗ ${name}: ${reason}`;
  if (outcome.status === 'skipped') return `- ${name}: skipped, ${reason}`;
  const verb = outcome.dryRun ? 'would write' : 'tagged';
  const keywords = escapeControls(outcome.keywords?.slice(0, 8).join(', ') ?? '');
  const more = (outcome.keywords?.length ?? 0) > 8 ? `, … (${outcome.keywords!.length})` : '';
  const warn = outcome.warnings?.length ? `\n  ! ${outcome.warnings.map(escapeControls).join('\n  ! ')}` : '';
  return `✓ ${name}: ${verb} "${escapeControls(outcome.title ?? '')}" [${keywords}${more}]${outcome.cacheHit ? ' (cached)' : ''}${warn}`;
}

/** A photo's path as shown to people: relative to the current folder, control characters escaped. */
export function displayPath(file: string, cwd: string): string {
  return escapeControls(file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file);
}

/** One line per photo on stdout (failures on stderr), the summary last. */
export function plainReporter(
  options: ReporterOptions = { quietUnchanged: false },
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Reporter {
  return {
    start: () => {},
    notice: (text) => err.write(`phototag: ${escapeControls(text)}\n`),
    photoStarted: () => {},
    stage: () => {},
    outcome: (outcome) => {
      if (!isQuiet(outcome, options)) (outcome.status === 'failed' ? err : out).write(`${outcomeLine(outcome)}\n`);
    },
    finish: (summary) => {
      if (summary.stopped) err.write(`phototag: stopped: ${escapeControls(summary.stopped)}\n`);
      out.write(`${summaryLine(summary)}\n`);
    },
  };
}

/** NDJSON: exactly one object per photo on stdout; the summary goes to stderr. */
export function jsonReporter(out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Reporter {
  return {
    start: () => {},
    notice: (text) => err.write(`phototag: ${escapeControls(text)}\n`),
    photoStarted: () => {},
    stage: () => {},
    outcome: (o) =>
      out.write(
        `${JSON.stringify({
          file: o.file,
          status: o.status,
          title: o.title ?? null,
          description: o.description ?? null,
          keywords: o.keywords ?? [],
          languages: o.result ?? null,
          model: o.model ?? null,
          provider: o.provider ?? null,
          cached: o.cacheHit ?? false,
          target: o.target ?? null,
          fields: o.fieldsWritten ?? [],
          warnings: o.warnings ?? [],
          tokens: (o.tokensIn ?? 0) + (o.tokensOut ?? 0),
          cost: o.cost ?? 0,
          durationMs: o.durationMs,
          dryRun: o.dryRun ?? false,
          error: o.status === 'failed' ? (o.reason ?? null) : null,
          errorKind: o.errorKind ?? null,
          reason: o.status === 'skipped' ? (o.reason ?? null) : null,
        })}\n`,
      ),
    finish: (summary) => {
      if (summary.stopped) err.write(`phototag: stopped: ${escapeControls(summary.stopped)}\n`);
      err.write(`${summaryLine(summary)}\n`);
    },
  };
}
