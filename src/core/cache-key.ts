import { createHash } from 'node:crypto';
import type { AnalysisKey } from './store.js';
import { PROMPT_VERSION } from './vision/prompt.js';

/** What the user asked that changes the request to the model (the profile and required keywords act after it). */
export interface AnalysisAsk {
  /** SHA-256 of the file's bytes: the pixels and the metadata the prompt's date and keywords come from. */
  hash: string;
  model: string;
  languages: readonly string[];
  maxKeywords: number;
  hint?: string;
  geocode: boolean;
}

/**
 * Cached answers are keyed by the content, the model, the prompt version, the languages and the user's asks,
 * never by where the file lies: a copy in another folder is the same photo. The folder names the prompt
 * mentions are context, not part of the question (the same holds for a sidecar's keywords).
 */
export function analysisKey(ask: AnalysisAsk): AnalysisKey {
  const asks = JSON.stringify({ maxKeywords: ask.maxKeywords, hint: ask.hint?.trim() || null, geocode: ask.geocode });
  const digest = createHash('sha256').update(asks).digest('hex').slice(0, 16);
  return { hash: ask.hash, model: ask.model, promptVersion: PROMPT_VERSION, languages: [...ask.languages, `#${digest}`] };
}

/** The same key as one string, for answers in flight. */
export function keyString(key: AnalysisKey): string {
  return [key.hash, key.model, key.promptVersion, key.languages.join(',')].join('|');
}
