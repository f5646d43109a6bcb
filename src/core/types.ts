import type { FailureKind } from './errors.js';

export type PhotoStatus = 'queued' | 'running' | 'done' | 'skipped' | 'failed';
export type Source = 'cli' | 'scan' | 'watch' | 'telegram';

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

/** What happened to one photo: the CLI prints it, `--json` emits it, the store records it. */
export interface PhotoOutcome {
  file: string;
  status: 'done' | 'skipped' | 'failed';
  /** Why it was skipped, or the failure message. */
  reason?: string;
  skip?: SkipCode;
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
  durationMs: number;
  /** Where the metadata went: the photo itself or its sidecar. */
  target?: string;
  fieldsWritten?: string[];
  /** Fields that could not be written (e.g. EXIF that ExifTool refuses to rewrite), and why. */
  warnings?: string[];
  dryRun?: boolean;
}

export interface PhotoRecord {
  path: string;
  telegramUser?: string;
  size?: number;
  mtimeMs?: number;
  hash?: string;
  status: PhotoStatus;
  source: Source;
  title?: string;
  description?: string;
  keywords?: string[];
  result?: ModelResult;
  fieldsWritten?: string[];
  warnings?: string[];
  provider?: string;
  model?: string;
  tokensIn?: number;
  tokensOut?: number;
  cost?: number;
  durationMs?: number;
  cacheHit?: boolean;
  error?: string;
  errorKind?: FailureKind;
}
