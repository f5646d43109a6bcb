import { createElement } from 'react';
import { makeTagProgress, type TagProgressProps } from '../ui/TagProgress.js';
import type { PhotoOutcome } from '../core/types.js';
import { displayPath, outcomeLine, summaryLine, type Reporter } from './reporter.js';

/** The TTY face of a run: an ink progress view, redrawn at most ten times a second. */
export async function inkReporter(): Promise<Reporter> {
  const ink = await import('ink');
  const { render } = ink;
  const TagProgress = makeTagProgress(ink);
  const cwd = process.cwd();
  const state: TagProgressProps = { total: 0, finished: [], active: [], startedAt: Date.now(), now: Date.now(), tokens: 0, cost: 0, lines: [] };
  const app = render(createElement(TagProgress, state), { exitOnCtrlC: false });
  const redraw = () => app.rerender(createElement(TagProgress, { ...state, now: Date.now(), active: [...state.active], lines: [...state.lines] }));
  const timer = setInterval(redraw, 100);
  const setStage = (file: string, stage: string) => {
    const name = displayPath(file, cwd);
    state.active = [...state.active.filter((a) => a.file !== name), { file: name, stage }];
  };
  return {
    start: (total) => {
      state.total = total;
      state.startedAt = Date.now();
    },
    photoStarted: (file) => setStage(file, 'reading'),
    stage: (file, stage) => setStage(file, stage),
    outcome: (outcome: PhotoOutcome) => {
      const name = displayPath(outcome.file, cwd);
      state.active = state.active.filter((a) => a.file !== name);
      state.finished = [...state.finished, outcome];
      state.tokens += (outcome.tokensIn ?? 0) + (outcome.tokensOut ?? 0);
      state.cost += outcome.cost ?? 0;
      state.lines.push(outcomeLine(outcome, cwd));
    },
    finish: async (summary) => {
      clearInterval(timer);
      state.summary = `${summary.stopped ? `stopped: ${summary.stopped}\n` : ''}${summaryLine(summary)}`;
      redraw();
      app.unmount();
      await app.waitUntilExit();
    },
  };
}
