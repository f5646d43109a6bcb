import { squashSpace } from './text.js';

export interface KeywordRules {
  /** Keep at most this many (the first ones: models list the most important first). */
  max: number;
  /** Dropped wherever they appear, compared case-insensitively. */
  banned?: readonly string[];
}

/**
 * Trim, drop empties and banned words, dedupe case-insensitively (first spelling wins),
 * keep the model's order (most important first) and cut to `max`.
 */
export function normalizeKeywords(keywords: readonly string[], rules: KeywordRules): string[] {
  const banned = new Set((rules.banned ?? []).map((word) => fold(word)));
  const seen = new Set<string>();
  const result: string[] = [];
  for (const raw of keywords) {
    const keyword = squashSpace(raw).replace(/^[#,;.\s]+|[,;.\s]+$/gu, '');
    const key = fold(keyword);
    if (!key || banned.has(key) || seen.has(key)) continue;
    seen.add(key);
    result.push(keyword);
    if (result.length >= rules.max) break;
  }
  return result;
}

/** Add `extra` after `existing`, skipping case-insensitive duplicates. */
export function mergeKeywords(existing: readonly string[], extra: readonly string[]): string[] {
  const seen = new Set(existing.map(fold));
  const merged = [...existing];
  for (const keyword of extra) {
    if (seen.has(fold(keyword))) continue;
    seen.add(fold(keyword));
    merged.push(keyword);
  }
  return merged;
}

function fold(text: string): string {
  return text.normalize('NFC').toLocaleLowerCase();
}
