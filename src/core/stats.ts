import type { StatsRows, Store } from './store.js';

export interface StatsRange {
  /** Epoch ms; default: `days` ago at local midnight. */
  since?: number;
  /** Epoch ms, exclusive; default: now. */
  until?: number;
  days?: number;
}

/** What `phototag stats --json` prints and the daemon serves at /stats. */
export interface Stats {
  range: { since: string; until: string };
  totals: { done: number; skipped: number; failed: number; queued: number; running: number; cacheHits: number; callsSaved: number; tokens: number; cost: number };
  perDay: { day: string; done: number; skipped: number; failed: number; cost: number }[];
  perModel: { provider: string; model: string; calls: number; successRate: number; medianMs: number; p95Ms: number; tokensIn: number; tokensOut: number; cost: number }[];
  failures: { kind: string; count: number; examples: { file: string; error: string; at: string }[] }[];
  perSource: { source: string; done: number; skipped: number; failed: number }[];
  perTelegramUser: { user: string; done: number; failed: number }[];
}

const DAY_MS = 86_400_000;

export function computeStats(store: Store, range: StatsRange = {}, now = Date.now()): Stats {
  const until = range.until ?? now + 1;
  const since = range.since ?? startOfLocalDay(until - 1) - ((range.days ?? 30) - 1) * DAY_MS;
  const rows = store.statsRows(since, until);
  return {
    range: { since: new Date(since).toISOString(), until: new Date(until).toISOString() },
    totals: { ...rows.totals, ...rows.queue, callsSaved: rows.totals.cacheHits },
    perDay: everyDay(rows.perDay, since, until),
    perModel: perModel(rows.calls),
    failures: rows.failures.map((f) => ({
      kind: f.kind ?? 'unknown',
      count: f.count,
      examples: rows.failureExamples.filter((e) => e.kind === f.kind).map((e) => ({ file: e.path, error: e.error ?? '', at: new Date(e.at).toISOString() })),
    })),
    perSource: rows.perSource,
    perTelegramUser: rows.perTelegramUser,
  };
}

function perModel(calls: StatsRows['calls']): Stats['perModel'] {
  const groups = new Map<string, StatsRows['calls']>();
  for (const call of calls) {
    const key = `${call.provider}\u0000${call.model}`;
    const group = groups.get(key) ?? [];
    group.push(call);
    groups.set(key, group);
  }
  return [...groups.values()].map((group) => {
    const first = group[0]!;
    const ok = group.filter((c) => c.ok === 1).length;
    return {
      provider: first.provider,
      model: first.model,
      calls: group.length,
      successRate: ok / group.length,
      medianMs: percentile(group, 0.5),
      p95Ms: percentile(group, 0.95),
      tokensIn: group.reduce((sum, c) => sum + c.tokensIn, 0),
      tokensOut: group.reduce((sum, c) => sum + c.tokensOut, 0),
      cost: group.reduce((sum, c) => sum + c.cost, 0),
    };
  }).sort((a, b) => b.calls - a.calls);
}

/** Nearest-rank percentile of calls already sorted by duration. */
function percentile(sorted: { ms: number }[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!.ms;
}

/** One row per calendar day in the range (days with nothing get zeros, so the chart has no gaps). */
function everyDay(days: StatsRows['perDay'], since: number, until: number): Stats['perDay'] {
  const byDay = new Map(days.map((d) => [d.day, d]));
  const result: Stats['perDay'] = [];
  for (let t = startOfLocalDay(since); t < until; t += DAY_MS) {
    const day = localDay(t);
    if (result.at(-1)?.day === day) continue; // a DST day is 25 h long
    result.push(byDay.get(day) ?? { day, done: 0, skipped: 0, failed: 0, cost: 0 });
  }
  return result;
}

function startOfLocalDay(t: number): number {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

function localDay(t: number): string {
  const d = new Date(t);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
