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

/**
 * The run stopped (Ctrl-C, a run-ending error) while the photo waited for a model slot: nothing was paid for
 * it, so it goes back to the queue untried instead of calling the model after the stop.
 */
export class NotStartedError extends Error {
  constructor() {
    super('not started: the run stopped before its model call');
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

/** Every failure kind, as `retry --kind` accepts them. */
export const FAILURE_KINDS: readonly FailureKind[] = [
  'transient',
  'provider',
  'invalid-output',
  'write-failed',
  'verify-failed',
  'changed',
  'missing',
  'unsupported',
  'corrupt',
  'unreadable',
  'read-only',
  'no-preview',
];

/**
 * Failures that trying again will not change until someone changes the file or its permissions: `retry`
 * leaves them alone unless asked (`--all`, `--kind`). The others (a provider's hiccup, a model's bad answer,
 * a write that failed or a photo that changed meanwhile) may well succeed next time.
 */
export const PERMANENT_KINDS: readonly FailureKind[] = ['missing', 'unsupported', 'corrupt', 'unreadable', 'read-only', 'no-preview'];

/** What model calls cost a photo that then failed (its answer invalid, its write refused): still paid for. */
export interface CallUsage {
  provider: string;
  model: string;
  tokensIn: number;
  tokensOut: number;
  cost: number;
}

/** A problem with one photo: recorded on the photo, never stops the batch. */
export class PhotoError extends Error {
  /** Model calls made for the photo before it failed (counted in the run's summary, its JSON line and cost). */
  usage?: CallUsage;

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
