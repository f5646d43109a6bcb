import { createElement } from 'react';
import { makeTagProgress, type TagProgressProps } from '../ui/TagProgress.js';
import type { PhotoOutcome } from '../core/types.js';
import { escapeControls } from '../core/escape.js';
import { displayPath, isQuiet, outcomeLine, summaryLine, type Reporter, type ReporterOptions } from './reporter.js';

/** The TTY face of a run: an ink progress view, redrawn at most ten times a second. */
export async function inkReporter(options: ReporterOptions): Promise<Reporter> {
  const ink = await import('ink');
  const TagProgress = makeTagProgress(ink);
  const cwd = process.cwd();
  const state: TagProgressProps = {
    found: 0,
    finding: true,
    done: 0,
    skipped: 0,
    failed: 0,
    active: [],
    startedAt: Date.now(),
    now: Date.now(),
    tokens: 0,
    cost: 0,
    lines: [],
  };
  const app = ink.render(createElement(TagProgress, state), { exitOnCtrlC: false });
  const redraw = () => app.rerender(createElement(TagProgress, { ...state, now: Date.now() }));
  const timer = setInterval(redraw, 100);
  const print = (text: string) => state.lines.push({ key: state.lines.length, text });
  const setStage = (file: string, stage: string) => {
    const name = displayPath(file, cwd);
    state.active = [...state.active.filter((a) => a.file !== name), { file: name, stage }];
  };
  return {
    start: (total) => {
      state.startedAt = Date.now();
      if (total !== undefined) {
        state.found = total;
        state.finding = false;
      }
    },
    notice: (text) => print(escapeControls(text)),
    found: () => {
      if (state.finding) state.found++;
    },
    photoStarted: (file) => setStage(file, 'reading'),
    stage: (file, stage) => setStage(file, stage),
    outcome: (outcome: PhotoOutcome) => {
      const name = displayPath(outcome.file, cwd);
      state.active = state.active.filter((a) => a.file !== name);
      state[outcome.status]++;
      state.tokens += (outcome.tokensIn ?? 0) + (outcome.tokensOut ?? 0);
      state.cost += outcome.cost ?? 0;
      if (!isQuiet(outcome, options)) print(outcomeLine(outcome, cwd));
    },
    finish: async (summary) => {
      clearInterval(timer);
      state.summary = `${summary.stopped ? `stopped: ${escapeControls(summary.stopped)}\n` : ''}${summaryLine(summary)}`;
      redraw();
      app.unmount();
      await app.waitUntilExit();
    },
  };
}
