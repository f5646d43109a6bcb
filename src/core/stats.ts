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
    /** Average processing time of the photos tagged in the range (ms); null when none was. */
    avgMs: number | null;
    /** Transient failures tried again, and model fallbacks, in the range. */
    retries: number;
    modelSwitches: number;
  };
  /** By local day of the photo's last change: finished photos, photos still queued or running, their average time. */
  perDay: {
    day: string;
    done: number;
    skipped: number;
    failed: number;
    queued: number;
    running: number;
    cost: number;
    avgMs: number | null;
    retries: number;
    modelSwitches: number;
  }[];
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
  perSource: { source: string; done: number; skipped: number; failed: number; days: DayCounts[] }[];
  perTelegramUser: { user: string; name: string | null; done: number; failed: number; days: DayCounts[] }[];
  /** Which model fell back to which, how often. */
  modelSwitches: { from: string; to: string; count: number }[];
}

/** One day's finished photos (days without any are left out). */
export interface DayCounts {
  day: string;
  done: number;
  skipped: number;
  failed: number;
}

const DAY_MS = 86_400_000;

export function computeStats(store: Store, range: StatsRange = {}, now = Date.now()): Stats {
  const until = range.until ?? now + 1;
  const since = range.since ?? startOfLocalDay(until - 1) - ((range.days ?? 30) - 1) * DAY_MS;
  // Local days by the offset in force at the end of the range (an hour off across a DST change, at most).
  const offset = -new Date(until - 1).getTimezoneOffset() * 60_000;
  const rows = store.reports.statsRows(since, until, offset);
  let timedMs = 0;
  let timed = 0;
  const totals: Stats['totals'] = {
    done: 0,
    skipped: 0,
    failed: 0,
    queued: rows.queue.queued,
    running: rows.queue.running,
    cacheHits: 0,
    callsSaved: 0,
    tokens: 0,
    cost: 0,
    avgMs: null,
    retries: 0,
    modelSwitches: 0,
  };
  const days = new Map<number, Stats['perDay'][number] & { timedMs: number; timed: number }>();
  const dayOf = (n: number) => {
    let day = days.get(n);
    if (!day) days.set(n, (day = { ...emptyDay(n), timedMs: 0, timed: 0 }));
    return day;
  };
  const sources = new Map<string, Omit<Stats['perSource'][number], 'days'> & { days: Map<number, DayCounts> }>();
  for (const group of rows.groups) {
    if (group.status === 'queued' || group.status === 'running') {
      dayOf(group.day)[group.status] += group.count;
      continue;
    }
    totals[group.status] += group.count;
    totals.tokens += group.tokens;
    totals.cost += group.cost;
    if (group.status === 'done' && group.cacheHit) totals.cacheHits += group.count;
    const day = dayOf(group.day);
    day[group.status] += group.count;
    day.cost += group.cost;
    if (group.status === 'done' && group.timed > 0) {
      day.timedMs += group.durationMs ?? 0;
      day.timed += group.timed;
      timedMs += group.durationMs ?? 0;
      timed += group.timed;
    }
    const source = sources.get(group.source) ?? { source: group.source, done: 0, skipped: 0, failed: 0, days: new Map() };
    source[group.status] += group.count;
    const sourceDay = source.days.get(group.day) ?? { day: isoDay(group.day), done: 0, skipped: 0, failed: 0 };
    sourceDay[group.status] += group.count;
    source.days.set(group.day, sourceDay);
    sources.set(group.source, source);
  }
  for (const event of rows.events) {
    const key = event.kind === 'retry' ? 'retries' : 'modelSwitches';
    dayOf(event.day)[key] += event.count;
    totals[key] += event.count;
  }
  for (const day of days.values()) day.avgMs = day.timed ? Math.round(day.timedMs / day.timed) : null;
  totals.avgMs = timed ? Math.round(timedMs / timed) : null;
  totals.callsSaved = totals.cacheHits;
  const userDays = new Map<string, DayCounts[]>();
  for (const row of [...rows.telegramDays].sort((a, b) => a.day - b.day)) {
    const list = userDays.get(row.user) ?? [];
    list.push({ day: isoDay(row.day), done: row.done, skipped: 0, failed: row.failed });
    userDays.set(row.user, list);
  }
  return {
    range: { since: new Date(since).toISOString(), until: new Date(until).toISOString() },
    totals,
    perDay: everyDay(days, Math.floor((since + offset) / DAY_MS), Math.floor((until - 1 + offset) / DAY_MS)).map(
      ({ timedMs: _ms, timed: _n, ...day }) => day,
    ),
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
    perSource: [...sources.values()]
      .sort((a, b) => a.source.localeCompare(b.source))
      .map((source) => ({ ...source, days: [...source.days.entries()].sort(([a], [b]) => a - b).map(([, day]) => day) })),
    perTelegramUser: rows.perTelegramUser.map((user) => ({ ...user, days: userDays.get(user.user) ?? [] })),
    modelSwitches: rows.switches,
  };
}

/** One row per day in the range (days with nothing get zeros, so the chart has no gaps). */
function everyDay<T extends Stats['perDay'][number]>(days: Map<number, T>, first: number, last: number): T[] {
  const result: T[] = [];
  for (let day = first; day <= last; day++) result.push(days.get(day) ?? ({ ...emptyDay(day), timedMs: 0, timed: 0 } as unknown as T));
  return result;
}

function emptyDay(day: number): Stats['perDay'][number] {
  return { day: isoDay(day), done: 0, skipped: 0, failed: 0, queued: 0, running: 0, cost: 0, avgMs: null, retries: 0, modelSwitches: 0 };
}

function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function startOfLocalDay(t: number): number {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}
