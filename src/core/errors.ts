/** Exit codes of the CLI: 0 all done or skipped, 1 some photo failed or the run stopped, 2 usage or config. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

/** An error that ends the whole run. One handler at the edge prints `message` and exits with `exitCode`. */
export class FatalError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failed,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UsageError extends FatalError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

export class ConfigError extends FatalError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** Kinds of per-photo failure. `transient` ones may succeed if tried again later. */
export type FailureKind =
  | 'missing'
  | 'unsupported'
  | 'corrupt'
  | 'unreadable'
  | 'read-only'
  | 'no-preview'
  | 'invalid-output'
  | 'write-failed'
  | 'verify-failed'
  | 'transient'
  | 'provider'
  | 'changed';

/** A problem with one photo: recorded on the photo, never stops the batch. */
export class PhotoError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    /** For transient failures: when to try again (a provider's Retry-After, a paused model). */
    readonly retryAfterMs?: number,
    /** False when the photo was never tried (its model is paused): the wait does not use up an attempt. */
    readonly countsAsAttempt = true,
  ) {
    super(message);
    this.name = 'PhotoError';
  }
}

/** The provider's daily (or monthly) quota is used up: stop, keep the rest queued, say when to resume. */
export class QuotaError extends FatalError {
  constructor(
    message: string,
    readonly resetAt?: number,
  ) {
    super(message, ExitCode.failed);
  }
}

/** The provider could not be reached several times in a row (a CLI run): stop, keep the rest queued. */
export class ProviderUnreachableError extends FatalError {}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
