import { createElement } from 'react';
import { makeTagProgress, usableColumns, usableRows, type TagProgressProps } from '../ui/TagProgress.js';
import type { PhotoOutcome } from '../core/types.js';
import { escapeControls } from '../core/escape.js';
import { displayPath, isQuiet, outcomeLine, summaryLines, Tally, type Reporter, type ReporterOptions } from './reporter.js';

/** The TTY face of a run: finished photos scroll above an ink progress view, redrawn at most ten times a second. */
export async function inkReporter(options: ReporterOptions): Promise<Reporter> {
  const ink = await import('ink');
  const TagProgress = makeTagProgress(ink);
  const cwd = process.cwd();
  const stdout = process.stdout;
  // A 0×0 pseudo-terminal (`script` with stdin not a terminal, some containers) reports no size: ink would lay
  // out one character per line and clear the screen on every frame. Lay out for 80×24 instead.
  if (!(stdout.columns > 0)) stdout.columns = usableColumns(stdout.columns);
  if (!(stdout.rows > 0)) stdout.rows = usableRows(stdout.rows);
  const tally = new Tally(options.dryRun);
  const started = new Set<string>();
  const state: TagProgressProps = {
    found: 0,
    finding: true,
    done: 0,
    skipped: 0,
    failed: 0,
    active: [],
    worked: 0,
    now: Date.now(),
    tokens: 0,
    cost: 0,
    lines: [],
    columns: stdout.columns,
    rows: stdout.rows,
  };
  const app = ink.render(createElement(TagProgress, state), { exitOnCtrlC: false });
  const redraw = () => app.rerender(createElement(TagProgress, { ...state, now: Date.now(), columns: stdout.columns, rows: stdout.rows }));
  const timer = setInterval(redraw, 100);
  // ink's <Static> prints only the items of an array it has not seen: a new array each time, never a push.
  const print = (text: string) => {
    state.lines = [...state.lines, { key: state.lines.length, text }];
  };
  const setStage = (file: string, stage: string) => {
    const name = displayPath(file, cwd);
    state.active = [...state.active.filter((a) => a.file !== name), { file: name, stage }];
  };
  return {
    start: (total) => {
      if (total !== undefined) {
        state.found = total;
        state.finding = false;
      }
    },
    intakeDone: () => {
      state.finding = false;
    },
    stopping: () => {
      state.stopping = true;
      redraw();
    },
    notice: (text) => print(escapeControls(text)),
    found: () => {
      if (state.finding) state.found++;
    },
    photoStarted: (file) => {
      state.firstStartedAt ??= Date.now();
      started.add(file);
      setStage(file, 'reading');
    },
    stage: (file, stage) => setStage(file, stage),
    retrying: (file) => {
      const name = displayPath(file, cwd);
      state.active = state.active.filter((a) => a.file !== name);
    },
    outcome: (outcome: PhotoOutcome) => {
      const name = displayPath(outcome.file, cwd);
      state.active = state.active.filter((a) => a.file !== name);
      state[outcome.status]++;
      if (started.delete(outcome.file)) state.worked++;
      state.tokens += (outcome.tokensIn ?? 0) + (outcome.tokensOut ?? 0);
      state.cost += outcome.cost ?? 0;
      tally.observe(outcome);
      if (!isQuiet(outcome, options)) print(outcomeLine(outcome, cwd));
      redraw();
    },
    finish: async (summary) => {
      clearInterval(timer);
      state.summary = [...(summary.stopped ? [`stopped: ${escapeControls(summary.stopped)}`] : []), ...summaryLines(summary, tally)].join(
        '\n',
      );
      redraw();
      app.unmount();
      await app.waitUntilExit();
    },
  };
}
