import { createHash } from 'node:crypto';
import type { AnalysisKey } from './store.js';
import type { Config } from './config/schema.js';
import { DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, PROMPT_VERSION } from './vision/prompt.js';

/** What the user asked that changes the request to the model (the profile and required keywords act after it). */
export interface AnalysisAsk {
  /** SHA-256 of the file's bytes: the pixels and the metadata the prompt's date and keywords come from. */
  hash: string;
  model: string;
  languages: readonly string[];
  maxKeywords: number;
  hint?: string;
  geocode: boolean;
  /** `tuningKey(config)`: the operator's prompt text, temperature and token budget, when any differs from the default. */
  tuning?: string;
}

/**
 * Cached answers are keyed by the content, the model, the prompt version, the languages and the user's asks,
 * never by where the file lies: a copy in another folder is the same photo. The folder names the prompt
 * mentions are context, not part of the question (the same holds for a sidecar's keywords).
 */
export function analysisKey(ask: AnalysisAsk): AnalysisKey {
  // Without tuning the key is what it always was: answers cached before the settings existed stay valid.
  const asks = JSON.stringify({
    maxKeywords: ask.maxKeywords,
    hint: ask.hint?.trim() || null,
    geocode: ask.geocode,
    ...(ask.tuning ? { tuning: ask.tuning } : {}),
  });
  const digest = createHash('sha256').update(asks).digest('hex').slice(0, 16);
  return { hash: ask.hash, model: ask.model, promptVersion: PROMPT_VERSION, languages: [...ask.languages, `#${digest}`] };
}

/**
 * What in the config changes the model's answer besides the model itself: the prompt text and the sampling
 * settings. Undefined at the defaults. `model.fallback` is not here: an answer is keyed by the model asked for.
 */
export function tuningKey(config: Pick<Config, 'model' | 'prompt'>): string | undefined {
  const tuning = {
    ...(config.prompt.template ? { template: config.prompt.template } : {}),
    ...(config.prompt.extra ? { extra: config.prompt.extra } : {}),
    ...(config.model.temperature !== DEFAULT_TEMPERATURE ? { temperature: config.model.temperature } : {}),
    ...(config.model.maxTokens !== DEFAULT_MAX_TOKENS ? { maxTokens: config.model.maxTokens } : {}),
  };
  return Object.keys(tuning).length > 0 ? JSON.stringify(tuning) : undefined;
}

/** The same key as one string, for answers in flight. */
export function keyString(key: AnalysisKey): string {
  return [key.hash, key.model, key.promptVersion, key.languages.join(',')].join('|');
}
