import { loadConfig } from '../../src/core/config/load.js';
import type { ConfigInput } from '../../src/core/config/schema.js';
import type { RunSummary } from '../../src/core/runner.js';
import { openSession } from '../../src/core/session.js';
import type { PhotoOutcome } from '../../src/core/types.js';

export interface TagRun {
  summary: RunSummary;
  outcomes: Map<string, PhotoOutcome>;
}

/** Run the real pipeline (store, ExifTool, vision client) against a fake server, as `phototag tag` would. */
export async function tagFiles(
  files: string[],
  settings: { baseUrl: string; dataDir: string; dryRun?: boolean } & Partial<ConfigInput>,
): Promise<TagRun> {
  const { baseUrl, dataDir, dryRun, ...rest } = settings;
  const { config } = await loadConfig({
    cwd: dataDir,
    env: {},
    flags: { provider: 'openai', model: 'fake/vision', rpm: 0, concurrency: 2, ...rest, baseUrl, dataDir },
  });
  const session = await openSession(config, { dryRun: dryRun ?? false, source: 'cli', env: { PHOTOTAG_API_KEY: 'sk-test-secret-123456' } });
  const outcomes = new Map<string, PhotoOutcome>();
  try {
    const summary = await session.run(files, { events: { onOutcome: (o) => outcomes.set(o.file, o) } });
    return { summary, outcomes };
  } finally {
    await session.close();
  }
}

/** `phototag scan` in-process: the same walk and queue the CLI uses. */
export async function scanFolders(
  folders: string[],
  settings: { baseUrl: string; dataDir: string; walk?: import('../../src/core/walk.js').WalkOptions } & Partial<ConfigInput>,
): Promise<TagRun> {
  const { walkPhotos } = await import('../../src/core/walk.js');
  return withSession('scan', settings, (session) => session.run(walkPhotos(folders, settings.walk ?? {}), { events: {} }));
}

/** `phototag retry` in-process. */
export async function retryFailed(
  settings: { baseUrl: string; dataDir: string } & Partial<ConfigInput>,
): Promise<TagRun & { requeued: number }> {
  let requeued = 0;
  const run = await withSession('cli', settings, (session) => {
    const queue = session.queue as import('../../src/core/queue.js').StoreQueue;
    requeued = queue.requeue({}) + queue.adopted.queued + queue.adopted.running;
    return session.run([]);
  });
  return { ...run, requeued };
}

async function withSession(
  source: 'cli' | 'scan',
  settings: { baseUrl: string; dataDir: string; walk?: unknown } & Partial<ConfigInput>,
  work: (session: import('../../src/core/session.js').Session) => Promise<RunSummary>,
): Promise<TagRun> {
  const { baseUrl, dataDir, walk: _walk, ...rest } = settings;
  const { config } = await loadConfig({
    cwd: dataDir,
    env: {},
    flags: { provider: 'openai', model: 'fake/vision', rpm: 0, concurrency: 2, ...rest, baseUrl, dataDir },
  });
  const session = await openSession(config, { dryRun: false, source, env: { PHOTOTAG_API_KEY: 'sk-test-secret-123456' } });
  const outcomes = new Map<string, PhotoOutcome>();
  const original = session.run;
  session.run = (intake, runSettings = {}) =>
    original(intake, { ...runSettings, events: { ...runSettings.events, onOutcome: (o) => outcomes.set(o.file, o) } });
  try {
    const summary = await work(session);
    return { summary, outcomes };
  } finally {
    await session.close();
  }
}
