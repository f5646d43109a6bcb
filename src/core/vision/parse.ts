import { z } from 'zod';
import { capChars, cleanText, isVisible, TEXT_LIMITS } from '../text.js';
import type { ModelResult } from '../types.js';

const keywordList = z.union([
  z.array(z.union([z.string(), z.number()]).transform(String)),
  z.string().transform((text) => text.split(/[,;\n]/u)),
]);

/** Model text as it may be written: invisible characters gone, length capped (see TEXT_LIMITS). */
const cleaned = (max: number) => z.string().transform((text) => capText(text, max));

/** Cleaning a 10 MB answer would cost more than it could ever keep: look at a generous prefix only. */
function capText(text: string, max: number): string {
  return capChars(cleanText(text.slice(0, max * 8)), max);
}

const languageEntry = z.object({
  title: cleaned(TEXT_LIMITS.title).refine((text) => isVisible(text), 'title is empty'),
  description: cleaned(TEXT_LIMITS.description).refine((text) => isVisible(text), 'description is empty'),
  // An invisible keyword is no keyword: it is dropped, never written.
  keywords: keywordList
    .transform((list) =>
      list
        .slice(0, TEXT_LIMITS.keywords * 4)
        .map((k) => capText(k, TEXT_LIMITS.keyword))
        .filter(isVisible)
        .slice(0, TEXT_LIMITS.keywords),
    )
    .refine((list) => list.length > 0, 'keywords are empty'),
});

export type ParseResult = { ok: true; result: ModelResult } | { ok: false; reason: string };

/**
 * Find the JSON object in a model's answer (bare, in a code fence, or wrapped in prose or <think> blocks)
 * and validate it: one entry per language, each with a non-empty title, description and keywords.
 */
export function parseModelAnswer(text: string, languages: readonly string[]): ParseResult {
  const candidates = jsonCandidates(text);
  if (candidates.length === 0) return { ok: false, reason: 'the answer holds no JSON object' };
  let reason = 'the answer holds no valid JSON object';
  for (const candidate of candidates) {
    const checked = validate(candidate, languages);
    if (checked.ok) return checked;
    reason = checked.reason;
  }
  return { ok: false, reason };
}

function validate(value: unknown, languages: readonly string[]): ParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'the answer is not a JSON object' };
  let object = value as Record<string, unknown>;
  // A single-language answer without the language wrapper is still unambiguous.
  if (languages.length === 1 && !(languages[0]! in object) && 'title' in object) object = { [languages[0]!]: object };
  const result: ModelResult = {};
  for (const lang of languages) {
    const entry = caseInsensitiveGet(object, lang);
    if (entry === undefined) return { ok: false, reason: `the answer has no "${lang}" entry` };
    const parsed = languageEntry.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return { ok: false, reason: `"${lang}": ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}` };
    }
    result[lang] = parsed.data;
  }
  return { ok: true, result };
}

function caseInsensitiveGet(object: Record<string, unknown>, key: string): unknown {
  if (key in object) return object[key];
  const found = Object.keys(object).find((k) => k.toLowerCase() === key.toLowerCase());
  return found === undefined ? undefined : object[found];
}

/** Every parseable top-level {...} in the text, the fenced ones first. */
export function jsonCandidates(text: string): unknown[] {
  const cleaned = text.replace(/<think>[\s\S]*?<\/think>/gu, '');
  const sources = [...cleaned.matchAll(/```(?:json)?\s*([\s\S]*?)```/gu)].map((m) => m[1]!);
  sources.push(cleaned);
  const found: unknown[] = [];
  for (const source of sources) {
    for (const slice of balancedObjects(source)) {
      try {
        found.push(JSON.parse(slice));
      } catch {
        // not JSON: prose that happens to contain braces
      }
    }
  }
  return found;
}

function balancedObjects(text: string): string[] {
  const slices: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"' && depth > 0) inString = true;
    else if (char === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (char === '}' && depth > 0) {
      depth--;
      if (depth === 0) slices.push(text.slice(start, i + 1));
    }
  }
  return slices;
}
