import type { ProfileName } from './profiles.js';
import type { ModelResult, Source } from './types.js';

/** A reviewed result for one photo, valid only for the content it was made for. */
export interface Proposal {
  hash: string;
  /** Digest of the image data of that content: the proposal still holds after a metadata edit. */
  imageHash?: string;
  result: ModelResult;
}

/** Who asked by Telegram, and where the answer goes (the photo's one status message). */
export interface TelegramAsk {
  user: string;
  /** Their display name (first and last name, or @username) as Telegram gave it, for stats. */
  name?: string;
  chat: number;
  statusMessage: number;
  /** The language the bot speaks to this user. */
  lang: 'en' | 'ru';
}

/**
 * Everything a photo was asked to be tagged with. It is stored with the job, so a retry or a restarted
 * daemon tags the photo exactly as first asked and answers whoever asked.
 */
export interface JobRequest {
  source?: Source;
  telegram?: TelegramAsk;
  /** Languages for this photo (a Telegram user's /lang) instead of the run's. */
  languages?: string[];
  /** Passed to the model as context, like --hint (a Telegram caption). */
  hint?: string;
  /** A stock profile for this photo instead of the run's (an upload's `profile` field). */
  profile?: ProfileName;
  /** Ask the model again even if an answer is cached (Regenerate). */
  regenerate?: boolean;
  /** Tag it again although it is tagged: replace what is there (Regenerate, Edit). */
  again?: boolean;
  /** Write this reviewed text instead of asking a model (`phototag apply`, Telegram Edit). */
  proposal?: Proposal;
}

/** A claimed job: the photo, its attempts so far, and what it was asked with. */
export interface Job extends JobRequest {
  id: number;
  path: string;
  attempts: number;
  source: Source;
}

/** What the runner's intake yields: a path, or a path with what it is asked with. */
export type IntakeItem = string | { path: string; request?: JobRequest };
