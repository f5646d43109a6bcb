import type http from 'node:http';
import { z } from 'zod';

/** A request the API refuses: its status and a message for whoever sent it (never a server path or secret). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(`${JSON.stringify(body)}\n`);
}

/** The query string as a zod schema wants it: each name once (a repeated one is a 400), unknown names refused. */
export function parseQuery<T extends z.ZodType>(url: URL, schema: T): z.infer<T> {
  const values: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (name in values) throw new HttpError(400, `query parameter "${name}" is given twice`);
    values[name] = value;
  }
  return parseWith(schema, values, 'query parameter');
}

/** `value` checked by `schema`; the first problem becomes a 400 naming the field, the value's type and what was wrong. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value, { reportInput: true });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = issue.path.filter((part) => typeof part === 'string').join('.');
  const given =
    issue.input === undefined || typeof issue.input === 'object' ? '' : ` ${JSON.stringify(issue.input)} (${typeof issue.input}):`;
  throw new HttpError(400, `invalid ${what}${name ? ` "${name}"` : ''}:${given} ${issue.message}`);
}

const SPAN_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A time given as an ISO date or time ("2026-11-01", "2026-11-01T12:00:00Z"), epoch milliseconds, or a span
 * back from now ("90m", "12h", "7d", "2w") as `phototag stats --since` takes it.
 */
export const timeParam = z
  .string()
  .trim()
  .min(1)
  .transform((text, ctx) => {
    const span = /^(\d{1,6})(m|h|d|w)$/u.exec(text);
    const time = span
      ? Date.now() - Number(span[1]) * SPAN_MS[span[2] as keyof typeof SPAN_MS]
      : /^\d{1,15}$/u.test(text)
        ? Number(text)
        : Date.parse(text);
    if (Number.isNaN(time)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a date (2026-11-01), an ISO time, epoch milliseconds or a span (7d), got "${text}" (string)`,
      });
      return z.NEVER;
    }
    return time;
  });

/** A whole number in [min, max] given as text. */
export function intParam(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,9}$/u, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

/** A JSON body of at most `maxBytes` (413 past it), checked by `schema` (400 when it is not JSON or not that). */
export async function readJson<T extends z.ZodType>(req: http.IncomingMessage, schema: T, maxBytes = 1 << 20): Promise<z.infer<T>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError(413, `the request body is larger than ${Math.round(maxBytes / 1024)} KB`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the body must be JSON');
  }
  return parseWith(schema, value, 'body field');
}
