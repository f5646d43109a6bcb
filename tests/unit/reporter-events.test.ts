import { describe, expect, it } from 'vitest';
import { reporterEvents, type Reporter } from '../../src/commands/reporter.js';

describe('the run events a reporter follows', () => {
  it('a photo given back to the queue untried (the run stopped before its model call) leaves the photos in progress', () => {
    const inProgress = new Set<string>();
    const reporter: Reporter = {
      start: () => undefined,
      notice: () => undefined,
      photoStarted: (file) => inProgress.add(file),
      stage: () => undefined,
      retrying: (file) => inProgress.delete(file),
      outcome: (outcome) => inProgress.delete(outcome.file),
      finish: () => undefined,
    };
    const events = reporterEvents(reporter);
    const job = { id: 1, path: '/photos/a.jpg', attempts: 1, source: 'cli' as const };
    events.onStart?.('/photos/a.jpg', job);
    events.onStart?.('/photos/b.jpg', { ...job, id: 2, path: '/photos/b.jpg' });
    events.onReleased?.('/photos/a.jpg');
    expect([...inProgress]).toEqual(['/photos/b.jpg']);
  });
});
