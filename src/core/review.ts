import path from 'node:path';
import { CsvError, parseCsvRows, toCsv } from './csv.js';
import type { MetadataTool } from './exiftool.js';
import { formatOf } from './formats.js';
import { hashFile } from './hash.js';
import { imageDataHash } from './imagehash.js';
import { UsageError } from './errors.js';
import type { Proposal } from './pipeline.js';
import type { ModelResult, PhotoOutcome } from './types.js';

/**
 * The review CSV: one row per photo — file, the SHA-256 of the content the proposal is for, then title,
 * description and keywords for every language (`title:en`, `description:en`, `keywords:en`, `title:ru`, …),
 * the first language primary, and the digest of the photo's image data (`image_sha256`, so a photo whose
 * metadata changed since, but not its pixels, can still be applied). Keywords are one cell, separated by commas.
 */
export function reviewCsv(
  outcomes: readonly PhotoOutcome[],
  languages: readonly string[],
  imageDigests: ReadonlyMap<string, string> = new Map(),
): string {
  const header = [
    'file',
    'sha256',
    ...languages.flatMap((lang) => [`title:${lang}`, `description:${lang}`, `keywords:${lang}`]),
    IMAGE_COLUMN,
  ];
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
      imageDigests.get(o.file) ?? '',
    ]);
  return toCsv([header, ...rows]);
}

const IMAGE_COLUMN = 'image_sha256';

/**
 * The image data digest of each proposal's photo (for `image_sha256`), where the photo still is the content
 * the proposal was made for and its data can be digested; the rest stay without one (then only the same bytes
 * can be applied, unless phototag wrote them meanwhile).
 */
export async function imageDigests(outcomes: readonly PhotoOutcome[], tool: MetadataTool): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  for (const outcome of outcomes) {
    if (outcome.status !== 'done' || !outcome.hash || outcome.target !== outcome.file) continue;
    try {
      const format = formatOf((await tool.read(outcome.file)).fileType);
      const digest = format && (await imageDataHash(outcome.file, format, tool));
      if (digest && (await hashFile(outcome.file)) === outcome.hash) digests.set(outcome.file, digest);
    } catch {
      // No digest: the proposal then needs the very bytes it was made for.
    }
  }
  return digests;
}

/** What a spreadsheet may have saved the CSV with: bytes that are not UTF-8 are refused with the fix. */
export function decodeReviewCsv(bytes: Buffer, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(
      `${source}: not UTF-8 text (a spreadsheet saved it in another encoding; in Excel choose "CSV UTF-8", in LibreOffice the character set "Unicode (UTF-8)")`,
    );
  }
}

/**
 * Read a review CSV back: the languages (from its header) and a proposal per photo. Cells may be separated by
 * commas or semicolons (Excel in most European locales); a relative path is relative to the CSV's folder.
 * Any problem is one UsageError naming the file, the line and the reason, before anything is written.
 */
export function readReviewCsv(text: string, source: string, baseDir = '.'): { languages: string[]; proposals: Map<string, Proposal> } {
  const where = (line: number) => `${source}, line ${line}`;
  const first = text.replace(/^\uFEFF/u, '').split(/\r?\n/u, 1)[0] ?? '';
  const delimiter = /^"?file"?;/u.test(first) ? ';' : /^"?file"?\t/u.test(first) ? '\t' : ',';
  let parsed;
  try {
    parsed = parseCsvRows(text, delimiter);
  } catch (error) {
    if (error instanceof CsvError) throw new UsageError(`${where(error.line)}: ${error.reason}`);
    throw error;
  }
  const [head, ...rows] = parsed;
  const header = head?.cells.map((cell) => cell.trim()) ?? [];
  if (header[0] !== 'file' || header[1] !== 'sha256')
    throw new UsageError(
      `${where(head?.line ?? 1)}: not a phototag review CSV (the first columns must be "file" and "sha256", separated by commas or semicolons)`,
    );
  const languages = header.filter((h) => h.startsWith('title:')).map((h) => h.slice(6));
  if (languages.length === 0) throw new UsageError(`${where(head!.line)}: no "title:<language>" column`);
  const column = (name: string) => {
    const index = header.indexOf(name);
    if (index === -1) throw new UsageError(`${where(head!.line)}: missing column "${name}"`);
    return index;
  };
  const imageColumn = header.indexOf(IMAGE_COLUMN);
  const proposals = new Map<string, Proposal>();
  for (const { cells: row, line } of rows) {
    if (row.length !== header.length)
      throw new UsageError(
        `${where(line)}: ${row.length} cells, the header has ${header.length} (is a quote or a ${delimiter === ';' ? 'semicolon' : delimiter === ',' ? 'comma' : 'tab'} unbalanced?)`,
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
    const file = (row[0] ?? '').trim();
    const hash = (row[1] ?? '').trim().toLowerCase();
    if (!file) throw new UsageError(`${where(line)}: no file`);
    if (!/^[0-9a-f]{64}$/u.test(hash)) throw new UsageError(`${where(line)}: "${hash}" is not a SHA-256 (64 hex digits)`);
    if (!result[languages[0]!]!.title) throw new UsageError(`${where(line)}: ${file} has an empty title`);
    const image = imageColumn === -1 ? '' : (row[imageColumn] ?? '').trim();
    const resolved = path.resolve(baseDir, file);
    if (proposals.has(resolved)) throw new UsageError(`${where(line)}: ${file} is in the CSV twice`);
    proposals.set(resolved, image ? { hash, imageHash: image, result } : { hash, result });
  }
  return { languages, proposals };
}
