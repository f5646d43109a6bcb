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
export async function tagFiles(files: string[], settings: { baseUrl: string; dataDir: string; dryRun?: boolean } & Partial<ConfigInput>): Promise<TagRun> {
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
