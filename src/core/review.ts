import { parseCsv, toCsv } from './csv.js';
import { UsageError } from './errors.js';
import type { Proposal } from './pipeline.js';
import type { ModelResult, PhotoOutcome } from './types.js';

/**
 * The review CSV: one row per photo — file, the SHA-256 of the content the proposal is for, then title,
 * description and keywords for every language (`title:en`, `description:en`, `keywords:en`, `title:ru`, …),
 * the first language primary. Keywords are one cell, separated by commas.
 */
export function reviewCsv(outcomes: readonly PhotoOutcome[], languages: readonly string[]): string {
  const header = ['file', 'sha256', ...languages.flatMap((lang) => [`title:${lang}`, `description:${lang}`, `keywords:${lang}`])];
  const rows = outcomes
    .filter((o) => o.status === 'done' && o.result && o.hash)
    .map((o) => [
      o.file,
      o.hash!,
      ...languages.flatMap((lang) => [
        o.result![lang]?.title ?? '',
        o.result![lang]?.description ?? '',
        (o.result![lang]?.keywords ?? []).join(', '),
      ]),
    ]);
  return toCsv([header, ...rows]);
}

/** Read a review CSV back: the languages (from its header) and a proposal per photo. */
export function readReviewCsv(text: string, source: string): { languages: string[]; proposals: Map<string, Proposal> } {
  const [header, ...rows] = parseCsv(text);
  if (!header || header[0] !== 'file' || header[1] !== 'sha256')
    throw new UsageError(`${source}: not a phototag review CSV (the first columns must be "file" and "sha256")`);
  const languages = header.filter((h) => h.startsWith('title:')).map((h) => h.slice(6));
  if (languages.length === 0) throw new UsageError(`${source}: no "title:<language>" column`);
  const column = (name: string) => {
    const index = header.indexOf(name);
    if (index === -1) throw new UsageError(`${source}: missing column "${name}"`);
    return index;
  };
  const proposals = new Map<string, Proposal>();
  rows.forEach((row, i) => {
    if (row.length !== header.length)
      throw new UsageError(
        `${source}: row ${i + 2} has ${row.length} columns, the header has ${header.length} (is a quote or comma unbalanced?)`,
      );
    const result: ModelResult = {};
    for (const lang of languages) {
      result[lang] = {
        title: (row[column(`title:${lang}`)] ?? '').trim(),
        description: (row[column(`description:${lang}`)] ?? '').trim(),
        keywords: (row[column(`keywords:${lang}`)] ?? '')
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean),
      };
    }
    const file = row[0] ?? '';
    const hash = row[1] ?? '';
    if (!file || !/^[0-9a-f]{64}$/u.test(hash)) throw new UsageError(`${source}: row ${i + 2} needs a file and its sha256`);
    if (!result[languages[0]!]!.title) throw new UsageError(`${source}: row ${i + 2} (${file}) has an empty title`);
    proposals.set(file, { hash, result });
  });
  return { languages, proposals };
}
