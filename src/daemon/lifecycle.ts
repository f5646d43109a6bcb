import { errorMessage } from '../core/errors.js';
import type { Logger } from './log.js';

/** One part of the daemon (lock, session, workers, watcher, bot, HTTP, watchdog): the same start and stop. */
export interface Part {
  name: string;
  /** The daemon cannot run without it: a failed start stops the whole start. Otherwise it is logged and skipped. */
  essential: boolean;
  start(signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;
}

/** Thrown when SIGTERM arrives while the daemon is still starting: what started is stopped again. */
export class StartAborted extends Error {
  constructor() {
    super('stopped while starting');
    this.name = 'StartAborted';
  }
}

/** Starts parts in order and stops the started ones in reverse; one part's failure to stop does not stop the rest. */
export class Lifecycle {
  private readonly started: Part[] = [];

  constructor(private readonly log: Logger) {}

  async start(parts: readonly Part[], signal: AbortSignal): Promise<void> {
    for (const part of parts) {
      if (signal.aborted) break;
      try {
        await part.start(signal);
        this.started.push(part);
      } catch (error) {
        if (part.essential) {
          await this.stop();
          throw error;
        }
        this.log.error(`${part.name} could not start; the other parts run without it`, { error: errorMessage(error) });
        this.started.push(part); // its stop undoes whatever it did start
      }
    }
    if (signal.aborted) {
      await this.stop();
      throw new StartAborted();
    }
  }

  async stop(): Promise<void> {
    for (const part of this.started.splice(0).reverse()) {
      try {
        await part.stop();
      } catch (error) {
        this.log.error(`stopping ${part.name} failed`, { error: errorMessage(error) });
      }
    }
  }
}
