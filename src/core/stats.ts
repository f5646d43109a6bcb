import type { Store } from './store.js';

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
  totals: {
    done: number;
    skipped: number;
    failed: number;
    queued: number;
    running: number;
    cacheHits: number;
    callsSaved: number;
    tokens: number;
    cost: number;
  };
  perDay: { day: string; done: number; skipped: number; failed: number; cost: number }[];
  perModel: {
    provider: string;
    model: string;
    calls: number;
    successRate: number;
    medianMs: number;
    p95Ms: number;
    tokensIn: number;
    tokensOut: number;
    cost: number;
  }[];
  failures: { kind: string; count: number; examples: { file: string; error: string; at: string }[] }[];
  perSource: { source: string; done: number; skipped: number; failed: number }[];
  perTelegramUser: { user: string; done: number; failed: number }[];
}

const DAY_MS = 86_400_000;

export function computeStats(store: Store, range: StatsRange = {}, now = Date.now()): Stats {
  const until = range.until ?? now + 1;
  const since = range.since ?? startOfLocalDay(until - 1) - ((range.days ?? 30) - 1) * DAY_MS;
  // Local days by the offset in force at the end of the range (an hour off across a DST change, at most).
  const offset = -new Date(until - 1).getTimezoneOffset() * 60_000;
  const rows = store.reports.statsRows(since, until, offset);
  const totals = {
    done: 0,
    skipped: 0,
    failed: 0,
    queued: rows.queue.queued,
    running: rows.queue.running,
    cacheHits: 0,
    callsSaved: 0,
    tokens: 0,
    cost: 0,
  };
  const days = new Map<number, Stats['perDay'][number]>();
  const sources = new Map<string, Stats['perSource'][number]>();
  for (const group of rows.groups) {
    if (group.status !== 'done' && group.status !== 'skipped' && group.status !== 'failed') continue;
    totals[group.status] += group.count;
    totals.tokens += group.tokens;
    totals.cost += group.cost;
    if (group.status === 'done' && group.cacheHit) totals.cacheHits += group.count;
    const day = days.get(group.day) ?? { day: isoDay(group.day), done: 0, skipped: 0, failed: 0, cost: 0 };
    day[group.status] += group.count;
    day.cost += group.cost;
    days.set(group.day, day);
    const source = sources.get(group.source) ?? { source: group.source, done: 0, skipped: 0, failed: 0 };
    source[group.status] += group.count;
    sources.set(group.source, source);
  }
  totals.callsSaved = totals.cacheHits;
  return {
    range: { since: new Date(since).toISOString(), until: new Date(until).toISOString() },
    totals,
    perDay: everyDay(days, Math.floor((since + offset) / DAY_MS), Math.floor((until - 1 + offset) / DAY_MS)),
    perModel: rows.models.map((m) => ({
      provider: m.provider,
      model: m.model,
      calls: m.calls,
      successRate: m.ok / m.calls,
      medianMs: m.medianMs,
      p95Ms: m.p95Ms,
      tokensIn: m.tokensIn,
      tokensOut: m.tokensOut,
      cost: m.cost,
    })),
    failures: rows.failures.map((f) => ({
      kind: f.kind ?? 'unknown',
      count: f.count,
      examples: rows.failureExamples
        .filter((e) => e.kind === f.kind)
        .map((e) => ({ file: e.path, error: e.error ?? '', at: new Date(e.at).toISOString() })),
    })),
    perSource: [...sources.values()].sort((a, b) => a.source.localeCompare(b.source)),
    perTelegramUser: rows.perTelegramUser,
  };
}

/** One row per day in the range (days with nothing get zeros, so the chart has no gaps). */
function everyDay(days: Map<number, Stats['perDay'][number]>, first: number, last: number): Stats['perDay'] {
  const result: Stats['perDay'] = [];
  for (let day = first; day <= last; day++) result.push(days.get(day) ?? { day: isoDay(day), done: 0, skipped: 0, failed: 0, cost: 0 });
  return result;
}

function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function startOfLocalDay(t: number): number {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}
