import { escapeControls } from '../core/escape.js';
import type { Stats } from '../core/stats.js';
import { displayWidth, padWidth, truncateWidth } from './width.js';

export interface Section {
  title: string;
  header: string[];
  rows: string[][];
  /** Right-align these columns (numbers). */
  numeric: number[];
}

const BAR = 24;

/** The stats as titled tables; plain output prints them as text, ink draws them. */
export function statsSections(stats: Stats): Section[] {
  const t = stats.totals;
  const most = Math.max(1, ...stats.perDay.map((d) => d.done + d.failed + d.skipped));
  return [
    {
      title: `phototag ${stats.range.since.slice(0, 10)} … ${stats.range.until.slice(0, 10)}`,
      header: ['done', 'skipped', 'failed', 'queued', 'running', 'from cache', 'calls saved', 'tokens', 'cost'],
      rows: [[t.done, t.skipped, t.failed, t.queued, t.running, t.cacheHits, t.callsSaved, t.tokens, money(t.cost)].map(String)],
      numeric: [0, 1, 2, 3, 4, 5, 6, 7, 8],
    },
    {
      title: 'per day',
      header: ['day', 'done', 'failed', '', 'cost'],
      rows: stats.perDay.map((d) => [d.day, String(d.done), String(d.failed), bar(d.done + d.skipped + d.failed, most), money(d.cost)]),
      numeric: [1, 2, 4],
    },
    {
      title: 'per model',
      header: ['provider', 'model', 'calls', 'ok', 'median', 'p95', 'tokens', 'cost'],
      rows: stats.perModel.map((m) => [
        m.provider,
        m.model,
        String(m.calls),
        `${Math.round(m.successRate * 100)}%`,
        seconds(m.medianMs),
        seconds(m.p95Ms),
        String(m.tokensIn + m.tokensOut),
        money(m.cost),
      ]),
      numeric: [2, 3, 4, 5, 6, 7],
    },
    {
      title: 'failures',
      header: ['kind', 'count', 'newest examples'],
      rows: stats.failures.flatMap((f) =>
        f.examples.map((e, i) => [i === 0 ? f.kind : '', i === 0 ? String(f.count) : '', escapeControls(`${e.file}: ${e.error}`)]),
      ),
      numeric: [1],
    },
    {
      title: 'per source',
      header: ['source', 'done', 'skipped', 'failed'],
      rows: stats.perSource.map((s) => [s.source, String(s.done), String(s.skipped), String(s.failed)]),
      numeric: [1, 2, 3],
    },
    {
      title: 'per Telegram user',
      header: ['user', 'done', 'failed'],
      rows: stats.perTelegramUser.map((u) => [u.user, String(u.done), String(u.failed)]),
      numeric: [1, 2],
    },
  ].filter((section) => section.rows.length > 0);
}

/**
 * A section's rows as aligned text lines: cells padded by display width (a CJK character or an emoji takes two
 * columns, Cyrillic one), numbers right-aligned. With `columns`, every line is cut to that width (the last
 * column gives way first), so a terminal never wraps a cell onto a line of its own.
 */
export function tableLines(section: Section, columns?: number): string[] {
  const widths = section.header.map((h, i) => Math.max(displayWidth(h), ...section.rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: string[]) => {
    const text = cells
      .map((cell, i) =>
        section.numeric.includes(i) ? padWidth(cell, widths[i]!, true) : i === cells.length - 1 ? cell : padWidth(cell, widths[i]!),
      )
      .join('  ')
      .trimEnd();
    return columns === undefined ? text : truncateWidth(text, columns);
  };
  return [section.header, ...section.rows].map(line);
}

export function sectionText(section: Section): string {
  return [section.title, ...tableLines(section)].join('\n');
}

function bar(value: number, most: number): string {
  return '█'.repeat(Math.round((value / most) * BAR)) || (value > 0 ? '▏' : '');
}

function money(usd: number): string {
  return `$${usd.toFixed(4)}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
