import { UsageError } from '../core/errors.js';

/** "2026-11-01", an ISO time, or a span back from now: "90m", "12h", "7d", "2w". */
export function parseSince(value: string, now = Date.now()): number {
  const span = /^(\d+)\s*(m|h|d|w)$/u.exec(value.trim());
  if (span) return now - Number(span[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[span[2] as 'm' | 'h' | 'd' | 'w'];
  const date = Date.parse(value);
  if (Number.isNaN(date)) throw new UsageError(`--since takes a date (2026-11-01) or a span (90m, 12h, 7d); got "${value}" (string)`);
  return date;
}
