import path from 'node:path';

/** One part of the daemon as the dashboard shows it. */
export interface PartHealth {
  name: string;
  ok: boolean;
  detail: string;
  /** The watcher: one entry per watched folder. */
  folder?: string;
}

/** `GET /api/status`: what the dashboard shows about the daemon itself. Never a key, a token or the provider's URL. */
export interface DaemonStatus {
  ok: boolean;
  parts: PartHealth[];
  provider: string;
  /** The model later photos start with. */
  model?: string;
  /** Models (and `provider`, the endpoint as a whole) the circuit breaker holds paused, and until when (epoch ms). */
  paused: { model: string; until: number }[];
  inProgress: { file: string; name: string; stage: string; seconds: number }[];
}

export interface StatusSources {
  /** The readiness checks (`/readyz`): name → "ok …" or "failing: …". */
  checks: Record<string, string>;
  folders: { folder: string; ok: boolean; detail: string }[];
  provider: string;
  model?: string;
  models: string[];
  pausedUntil(model: string): number | undefined;
  inProgress: { file: string; stage?: string; ms: number }[];
}

const FAILING = /^failing: /u;
const NAMES: Record<string, string> = {
  database: 'database',
  exiftool: 'ExifTool',
  workers: 'workers',
  telegram: 'Telegram',
  provider: 'provider',
};

export function daemonStatus(sources: StatusSources): DaemonStatus {
  const parts: PartHealth[] = Object.entries(sources.checks).map(([name, detail]) => ({
    name: NAMES[name] ?? name,
    ok: !FAILING.test(detail),
    detail: detail.replace(FAILING, ''),
  }));
  parts.push(...sources.folders.map((f) => ({ name: 'watcher', folder: f.folder, ok: f.ok, detail: f.detail })));
  // Always in the same order, whichever check answered first.
  const order = ['database', 'ExifTool', 'workers', 'watcher', 'Telegram', 'provider'];
  parts.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  const paused = ['provider', ...sources.models].flatMap((model) => {
    const until = sources.pausedUntil(model);
    return until === undefined ? [] : [{ model, until }];
  });
  return {
    ok: parts.every((p) => p.ok),
    parts,
    provider: sources.provider,
    model: sources.model,
    paused,
    inProgress: sources.inProgress.map((p) => ({
      file: p.file,
      name: path.basename(p.file),
      stage: p.stage ?? 'starting',
      seconds: Math.round(p.ms / 1000),
    })),
  };
}
