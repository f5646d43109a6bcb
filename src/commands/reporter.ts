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
  /** The intake has brought every photo (a scan's walk is over): the total is known from now on. */
  intakeDone?(): void;
  /** The run was asked to stop (Ctrl-C, a closed output): the photos in progress finish, no more start. */
  stopping?(): void;
  /** A photo went back to the queue (a transient failure, or the run stopped before its model call): no longer in progress. */
  retrying?(file: string): void;
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
    onRetry: (file) => reporter.retrying?.(file),
    // After Ctrl-C the photos read ahead go back untried: "stopping: finishing N in progress" must not count them.
    onReleased: (file) => reporter.retrying?.(file),
    onOutcome: (outcome) => reporter.outcome(outcome),
  };
}

export interface ReporterOptions {
  /** Don't list photos skipped as unchanged since they were tagged (a rescan has thousands). */
  quietUnchanged: boolean;
  /** A dry run records nothing: its failures are not in `retry --list`. */
  dryRun?: boolean;
}

export function isQuiet(outcome: PhotoOutcome, options: ReporterOptions): boolean {
  return options.quietUnchanged && outcome.status === 'skipped' && (outcome.skip === 'unchanged' || outcome.skip === 'failed-before');
}

/** What the summary says beyond the counts: photos that failed in this run or earlier, and where to look. */
export class Tally {
  constructor(readonly dryRun = false) {}
  /** Photos a scan met unchanged since they failed (skipped, not listed one per line). */
  stillFailing = 0;
  observe(outcome: PhotoOutcome): void {
    if (outcome.status === 'skipped' && outcome.skip === 'failed-before') this.stillFailing++;
  }
}

/** The summary: the counts line, then a pointer to `retry --list` when photos failed now or before. */
export function summaryLines(summary: RunSummary, tally: Tally): string[] {
  const lines = [summaryLine(summary)];
  if (summary.failed > 0 && !tally.dryRun) lines.push(`${summary.failed} failed: \`phototag retry --list\` shows why`);
  if (tally.stillFailing > 0) lines.push(`${tally.stillFailing} still failing: \`phototag retry --list\``);
  return lines;
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
  if (outcome.dryRun) return proposalText(outcome, name, cwd);
  const keywords = escapeControls(outcome.keywords?.slice(0, 8).join(', ') ?? '');
  const more = (outcome.keywords?.length ?? 0) > 8 ? `, … (${outcome.keywords!.length})` : '';
  const warn = outcome.warnings?.length ? `\n  ! ${outcome.warnings.map(escapeControls).join('\n  ! ')}` : '';
  return `✓ ${name}: tagged "${escapeControls(outcome.title ?? '')}" [${keywords}${more}]${outcome.cacheHit ? ' (cached)' : ''}${warn}`;
}

/** A dry run's whole proposal: every language's title, description and keywords, and the fields it would fill where. */
function proposalText(outcome: PhotoOutcome, name: string, cwd: string): string {
  const lines = [
    `✓ ${name}: would write "${escapeControls(outcome.title ?? '')}" (dry run, nothing written)${outcome.cacheHit ? ' (cached)' : ''}`,
  ];
  const languages = Object.entries(outcome.result ?? {});
  const width = Math.max(0, ...languages.map(([lang]) => lang.length));
  for (const [lang, text] of languages) {
    const pad = ' '.repeat(width);
    lines.push(`    ${lang.padEnd(width)} title:       ${escapeControls(text.title)}`);
    lines.push(`    ${pad} description: ${escapeControls(text.description)}`);
    lines.push(`    ${pad} keywords:    ${escapeControls(text.keywords.join(', '))}`);
  }
  const target = outcome.target ? displayPath(outcome.target, cwd) : name;
  lines.push(
    `    into ${target}: ${outcome.fieldsWritten?.length ? escapeControls(outcome.fieldsWritten.join(', ')) : 'no field (all filled)'}`,
  );
  for (const warning of outcome.warnings ?? []) lines.push(`  ! ${escapeControls(warning)}`);
  return lines.join('\n');
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
  const tally = new Tally(options.dryRun);
  return {
    start: () => {},
    notice: (text) => err.write(`phototag: ${escapeControls(text)}\n`),
    photoStarted: () => {},
    stage: () => {},
    outcome: (outcome) => {
      tally.observe(outcome);
      if (!isQuiet(outcome, options)) (outcome.status === 'failed' ? err : out).write(`${outcomeLine(outcome)}\n`);
    },
    finish: (summary) => {
      if (summary.stopped) err.write(`phototag: stopped: ${escapeControls(summary.stopped)}\n`);
      out.write(`${summaryLines(summary, tally).join('\n')}\n`);
    },
  };
}

/** NDJSON: exactly one object per photo on stdout; the summary goes to stderr. */
export function jsonReporter(
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
  options: ReporterOptions = { quietUnchanged: false },
): Reporter {
  const tally = new Tally(options.dryRun);
  return {
    start: () => {},
    notice: (text) => err.write(`phototag: ${escapeControls(text)}\n`),
    photoStarted: () => {},
    stage: () => {},
    outcome: (o) => {
      tally.observe(o);
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
      );
    },
    finish: (summary) => {
      if (summary.stopped) err.write(`phototag: stopped: ${escapeControls(summary.stopped)}\n`);
      err.write(`${summaryLines(summary, tally).join('\n')}\n`);
    },
  };
}
