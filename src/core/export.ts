import path from 'node:path';
import { toCsv } from './csv.js';
import { cutAtWord, PROFILE_RULES } from './profiles.js';
import type { ModelResult } from './types.js';

export const EXPORT_FORMATS = ['adobe-stock', 'shutterstock', 'generic'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The exact column headers each site's CSV upload expects. */
export const EXPORT_HEADERS: Record<ExportFormat, string[]> = {
  'adobe-stock': ['Filename', 'Title', 'Keywords', 'Category', 'Releases'],
  shutterstock: ['Filename', 'Description', 'Keywords', 'Categories', 'Editorial', 'Mature content', 'illustration'],
  generic: ['file', 'language', 'title', 'description', 'keywords'],
};

export interface ExportRow {
  path: string;
  result: ModelResult | null;
}

/**
 * The CSV for a site, within its limits (Adobe Stock: title ≤ 70 characters, ≤ 49 keywords; Shutterstock:
 * description ≤ 200 characters, 7–50 keywords, English). Photos that cannot meet a site's rules are left out
 * and named in `skipped`.
 */
export function exportCsv(rows: readonly ExportRow[], format: ExportFormat): { csv: string; skipped: { file: string; reason: string }[] } {
  const out: string[][] = [EXPORT_HEADERS[format]];
  const skipped: { file: string; reason: string }[] = [];
  for (const row of rows) {
    const languages = Object.keys(row.result ?? {});
    if (!row.result || languages.length === 0) continue;
    if (format === 'generic') {
      for (const lang of languages) {
        const entry = row.result[lang]!;
        out.push([row.path, lang, entry.title, entry.description, entry.keywords.join(', ')]);
      }
      continue;
    }
    const rules = PROFILE_RULES[format];
    const lang = rules.language ?? languages[0]!;
    const entry = row.result[lang];
    if (!entry) {
      skipped.push({ file: row.path, reason: `no ${lang} text (tag it with --lang ${lang})` });
      continue;
    }
    const keywords = entry.keywords.slice(0, rules.maxKeywords);
    if (keywords.length < rules.minKeywords) {
      skipped.push({ file: row.path, reason: `${keywords.length} keywords; ${format} needs at least ${rules.minKeywords}` });
      continue;
    }
    const name = path.basename(row.path);
    if (format === 'adobe-stock') out.push([name, cutAtWord(entry.title, rules.titleMax), keywords.join(', '), '', '']);
    else out.push([name, cutAtWord(entry.description, rules.descriptionMax), keywords.join(','), '', 'no', 'no', 'no']);
  }
  return { csv: toCsv(out), skipped };
}
