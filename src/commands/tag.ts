import { loadConfig } from '../core/config/load.js';
import { ExitCode } from '../core/errors.js';
import { openSession } from '../core/session.js';
import { commandExitCode } from './exit-code.js';
import { flagsToConfig, type TagFlags } from './options.js';
import { jsonReporter, plainReporter, reporterEvents, type Reporter } from './reporter.js';

export async function runTag(files: string[], flags: TagFlags & { config?: string }, signal: AbortSignal): Promise<void> {
  const { config } = await loadConfig({ configFile: flags.config, flags: flagsToConfig(flags) });
  const reporter = await chooseReporter(flags);
  const session = await openSession(config, { dryRun: flags.dryRun ?? false, source: 'cli' });
  try {
    reporter.start(files.length);
    const summary = await session.run(files, { signal, events: reporterEvents(reporter) });
    await reporter.finish(summary);
    commandExitCode.value = summary.failed > 0 || summary.stopped ? ExitCode.failed : ExitCode.ok;
  } finally {
    await session.close();
  }
}

async function chooseReporter(flags: TagFlags): Promise<Reporter> {
  if (flags.json) return jsonReporter();
  if (process.stdout.isTTY && !process.env.CI) {
    const { inkReporter } = await import('./ink-reporter.js');
    return inkReporter();
  }
  return plainReporter();
}
