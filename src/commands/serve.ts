import { loadConfig } from '../core/config/load.js';
import { secretValues } from '../core/config/secrets.js';
import { removeTempFilesInFlight } from '../core/write-names.js';
import { createLogger, type Level } from '../daemon/log.js';
import { StartAborted } from '../daemon/lifecycle.js';
import { startDaemon } from '../daemon/serve.js';
import { flagsToConfig, type TagFlags } from './options.js';

export interface ServeFlags extends TagFlags {
  config?: string;
  watch?: string[];
  port?: number;
  host?: string;
  tokenFile?: string;
  initialScan?: boolean;
  polling?: boolean;
  logLevel?: Level;
}

/** `phototag serve`: runs until SIGTERM or SIGINT, then stops in order and exits 0. */
export async function runServe(flags: ServeFlags, signal: AbortSignal): Promise<void> {
  const serveFlags = Object.fromEntries(
    Object.entries({
      watch: flags.watch,
      port: flags.port,
      host: flags.host,
      tokenFile: flags.tokenFile,
      scanOnStart: flags.initialScan === false ? false : undefined,
      polling: flags.polling,
    }).filter(([, v]) => v !== undefined),
  );
  const { config } = await loadConfig({
    configFile: flags.config,
    flags: { ...flagsToConfig(flags), ...(Object.keys(serveFlags).length ? { serve: serveFlags } : {}) },
  });
  const log = createLogger({ level: flags.logLevel, secrets: secretValues(config) });
  let daemon;
  try {
    daemon = await startDaemon(config, log, process.env, signal);
  } catch (error) {
    if (error instanceof StartAborted) return; // SIGTERM while starting: what started has stopped again
    throw error;
  }
  if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  // The promise of serve.shutdownSeconds: whatever still hangs (a stuck ExifTool, a socket) does not keep the
  // process alive past it. Unref'd: a clean stop exits as soon as it is done.
  setTimeout(() => {
    log.warn('shutdown bound reached: exiting now', { seconds: config.serve.shutdownSeconds });
    removeTempFilesInFlight();
    process.exit(0);
  }, config.serve.shutdownSeconds * 1000).unref();
  await daemon.stop();
}
