import { escapeControls } from '../core/escape.js';

/** Structured logs: JSON lines when stdout is not a terminal (journald, files), readable lines on one. */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(
  options: { level?: Level; json?: boolean; out?: NodeJS.WritableStream; secrets?: readonly (string | undefined)[] } = {},
): Logger {
  const out = options.out ?? process.stdout;
  const json = options.json ?? !process.stdout.isTTY;
  const min = ORDER[options.level ?? 'info'];
  const secrets = (options.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 4);
  const scrub = (text: string) => secrets.reduce((t, secret) => t.split(secret).join('***'), text);
  const write = (level: Level, message: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[level] < min) return;
    const line = json
      ? JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })
      : escapeControls(
          `${new Date().toLocaleTimeString()} ${level.padEnd(5)} ${message}${Object.entries(fields)
            .map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join('')}`,
        );
    out.write(`${scrub(line)}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

/** A short stable id for a photo, carried through every log line about it. */
export function photoId(file: string): string {
  let hash = 2166136261;
  for (let i = 0; i < file.length; i++) hash = Math.imul(hash ^ file.charCodeAt(i), 16777619);
  return (hash >>> 0).toString(36);
}
