import type { FailureKind } from './errors.js';

export type PhotoStatus = 'queued' | 'running' | 'done' | 'skipped' | 'failed';
export type Source = 'cli' | 'scan' | 'watch' | 'telegram' | 'api';

/** What the model says about a photo in one language. */
export interface LanguageText {
  title: string;
  description: string;
  keywords: string[];
}

/** The model's whole answer: one entry per configured language, e.g. { en: …, ru: … }. */
export type ModelResult = Record<string, LanguageText>;

/** One model answer (or a cached one) with its price. */
export interface Analysis {
  result: ModelResult;
  provider: string;
  model: string;
  tokensIn: number;
  tokensOut: number;
  cost: number;
  cacheHit: boolean;
}

/**
 * Why a photo was skipped, as a code (the reason next to it is for people): 'unchanged' since it was tagged,
 * 'failed-before' and unchanged since, 'busy' with another process, already 'tagged', 'nothing-to-add'.
 */
export type SkipCode = 'unchanged' | 'failed-before' | 'busy' | 'tagged' | 'nothing-to-add';

/** What is known about one photo after its run: one spelling of these fields for the outcome and the store. */
export interface PhotoFacts {
  errorKind?: FailureKind;
  title?: string;
  description?: string;
  keywords?: string[];
  /** Every language's text, as written. */
  result?: ModelResult;
  /** SHA-256 of the photo's content when it was analyzed (a review CSV refers to it). */
  hash?: string;
  model?: string;
  provider?: string;
  cacheHit?: boolean;
  tokensIn?: number;
  tokensOut?: number;
  cost?: number;
  fieldsWritten?: string[];
  /** Fields that could not be written (e.g. EXIF that ExifTool refuses to rewrite), and why. */
  warnings?: string[];
}

/** What happened to one photo: the CLI prints it, `--json` emits it, the daemon answers and counts it. */
export interface PhotoOutcome extends PhotoFacts {
  file: string;
  status: 'done' | 'skipped' | 'failed';
  /** Why it was skipped, or the failure message. */
  reason?: string;
  skip?: SkipCode;
  durationMs: number;
  /** Where the metadata went: the photo itself or its sidecar. */
  target?: string;
  dryRun?: boolean;
}

/** What the store keeps about one photo: the facts, plus where and what the file was, and who asked. */
export interface PhotoRecord extends PhotoFacts {
  path: string;
  telegramUser?: string;
  size?: number;
  mtimeMs?: number;
  status: PhotoStatus;
  source: Source;
  durationMs?: number;
  error?: string;
}

/** One request to a model, as `phototag stats` counts it (recorded by the store, reported by the vision client). */
export interface ModelCall {
  provider: string;
  model: string;
  ok: boolean;
  /** The request itself, not the wait for the rate limiter. */
  ms: number;
  tokensIn: number;
  tokensOut: number;
  cost: number;
  /** The fault's kind for a failed call (rate-limit, server, timeout, …). */
  error?: string;
  /** Size of the JPEG sent with the request (before base64). */
  imageBytes?: number;
}
