import { parseRetryAfter } from '../retry.js';
import { ResponseTimeoutError, ResponseTooLargeError } from './http.js';

/** How a failed model call should be handled. */
export type FaultKind =
  | 'auth'
  | 'credit'
  | 'quota'
  | 'not-found'
  | 'rate-limit'
  | 'server'
  | 'timeout'
  | 'connection'
  | 'too-large'
  | 'bad-request'
  | 'cancelled'
  | 'other';

export interface ProviderFault {
  kind: FaultKind;
  status?: number;
  message: string;
  retryAfterMs?: number;
  /** For a used-up quota: when it resets (epoch ms), if the provider says. */
  resetAt?: number;
}

/** A 429 about a daily or monthly allowance (OpenRouter: "free-models-per-day") will not clear in minutes. */
const QUOTA = /per[- ]day|daily|per[- ]month|quota/iu;

function quotaAware(fault: ProviderFault, reset: string | undefined): ProviderFault {
  if (fault.kind !== 'rate-limit' || !QUOTA.test(fault.message)) return fault;
  const resetNumber = Number(reset);
  const resetAt = Number.isFinite(resetNumber) && resetNumber > 0 ? (resetNumber < 1e12 ? resetNumber * 1000 : resetNumber) : undefined;
  return { ...fault, kind: 'quota', resetAt };
}

export function isTransient(fault: ProviderFault): boolean {
  return fault.kind === 'rate-limit' || fault.kind === 'server' || fault.kind === 'timeout' || fault.kind === 'connection';
}

export function kindForStatus(status: number | undefined): FaultKind {
  if (status === undefined) return 'other';
  if (status === 401 || status === 403) return 'auth';
  if (status === 402) return 'credit';
  if (status === 404) return 'not-found';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate-limit';
  if (status >= 500) return 'server';
  if (status === 400 || status === 422) return 'bad-request';
  return 'other';
}

interface SdkError {
  name?: string;
  status?: number;
  message?: string;
  headers?: Headers | Record<string, string>;
  error?: { message?: string; code?: unknown };
}

/** The openai SDK's error classes, from the module the client loaded (openai is imported lazily). */
export interface SdkErrorClasses {
  APIConnectionError?: abstract new (...args: never[]) => Error;
  APIConnectionTimeoutError?: abstract new (...args: never[]) => Error;
  APIUserAbortError?: abstract new (...args: never[]) => Error;
}

/** Socket and DNS codes (node, undici) that mean the provider could not be reached or hung up: try again later. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * Turn whatever the openai SDK (or fetch) threw into a fault; never includes the API key. openai 6 sets every
 * error's `name` to "Error", so the class is told by `instanceof` (or, without the classes, by the prototype
 * chain's constructor names) and by the codes in the `cause` chain.
 */
export function faultFromError(error: unknown, secret?: string, sdk: SdkErrorClasses = {}): ProviderFault {
  const e = (error ?? {}) as SdkError;
  const causes = causeChain(error);
  const is = (cls: SdkErrorClasses[keyof SdkErrorClasses], name: string) =>
    (cls !== undefined && error instanceof cls) || hasClassNamed(error, name);
  if (is(sdk.APIUserAbortError, 'APIUserAbortError') || e.name === 'AbortError') return { kind: 'cancelled', message: 'cancelled' };
  const tooLarge = causes.find((c): c is ResponseTooLargeError => c instanceof ResponseTooLargeError);
  if (tooLarge) return { kind: 'too-large', message: tooLarge.message };
  const codes = causes.map(codeOf).filter((c): c is string => c !== undefined);
  if (
    is(sdk.APIConnectionTimeoutError, 'APIConnectionTimeoutError') ||
    causes.some((c) => c instanceof ResponseTimeoutError) ||
    codes.some((c) => TIMEOUT_CODES.has(c)) ||
    /timed? ?out/iu.test(e.message ?? '')
  ) {
    return { kind: 'timeout', message: 'the model did not answer in time' };
  }
  const connectionCode = codes.find((c) => CONNECTION_CODES.has(c));
  if (is(sdk.APIConnectionError, 'APIConnectionError') || connectionCode) {
    return {
      kind: 'connection',
      message: redact(`cannot reach the provider (${connectionCode ?? codes[0] ?? deepestMessage(causes)})`, secret),
    };
  }
  const status = typeof e.status === 'number' ? e.status : undefined;
  const detail = e.error?.message ?? e.message ?? String(error);
  const fault: ProviderFault = {
    kind: kindForStatus(status),
    status,
    message: redact(status ? `HTTP ${status}: ${detail.replace(/^\d{3}\s*/u, '')}` : detail, secret),
    retryAfterMs: parseRetryAfter(header(e.headers, 'retry-after')),
  };
  return quotaAware(fault, header(e.headers, 'x-ratelimit-reset'));
}

/** The error and its causes (`cause`, AggregateError's `errors`), bounded. */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && chain.length < 16) {
    const next = queue.shift();
    if (next === undefined || next === null || chain.includes(next)) continue;
    chain.push(next);
    if (typeof next === 'object') {
      queue.push((next as { cause?: unknown }).cause);
      const inner = (next as { errors?: unknown }).errors;
      if (Array.isArray(inner)) queue.push(...(inner as unknown[]));
    }
  }
  return chain;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function hasClassNamed(error: unknown, name: string): boolean {
  for (
    let proto: unknown = error === null || typeof error !== 'object' ? undefined : Object.getPrototypeOf(error);
    proto;
    proto = Object.getPrototypeOf(proto)
  ) {
    if ((proto as { constructor?: { name?: string } }).constructor?.name === name) return true;
  }
  return false;
}

function deepestMessage(causes: unknown[]): string {
  const last = causes[causes.length - 1] as { message?: unknown } | undefined;
  return typeof last?.message === 'string' && last.message ? last.message : 'connection error';
}

/** OpenRouter (and others) sometimes answer HTTP 200 with `{"error": {...}}` instead of choices. */
export function faultFromBody(body: { error?: { code?: unknown; message?: unknown } }, secret?: string): ProviderFault {
  const code = Number(body.error?.code);
  const status = Number.isInteger(code) && code >= 100 && code < 600 ? code : 502;
  const message = typeof body.error?.message === 'string' ? body.error.message : 'the provider returned an error';
  return quotaAware(
    { kind: kindForStatus(status), status, message: redact(`error in a 200 answer (${status}): ${message}`, secret) },
    undefined,
  );
}

function header(headers: SdkError['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  return (headers as Record<string, string>)[name];
}

export function redact(text: string, secret?: string): string {
  return secret && secret.length >= 4 ? text.split(secret).join('***') : text;
}
