import { parseRetryAfter } from '../retry.js';

/** How a failed model call should be handled. */
export type FaultKind = 'auth' | 'credit' | 'quota' | 'not-found' | 'rate-limit' | 'server' | 'timeout' | 'connection' | 'bad-request' | 'other';

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

/** Turn whatever the openai SDK threw into a fault; never includes the API key. */
export function faultFromError(error: unknown, secret?: string): ProviderFault {
  const e = (error ?? {}) as SdkError;
  const name = e.name ?? '';
  if (name === 'APIConnectionTimeoutError' || /timed? ?out/iu.test(e.message ?? '')) {
    return { kind: 'timeout', message: 'the model did not answer in time' };
  }
  if (name === 'APIConnectionError') {
    return { kind: 'connection', message: redact(`cannot reach the provider (${causeOf(error)})`, secret) };
  }
  if (name === 'APIUserAbortError' || name === 'AbortError') return { kind: 'other', message: 'cancelled' };
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

/** OpenRouter (and others) sometimes answer HTTP 200 with `{"error": {...}}` instead of choices. */
export function faultFromBody(body: { error?: { code?: unknown; message?: unknown } }, secret?: string): ProviderFault {
  const code = Number(body.error?.code);
  const status = Number.isInteger(code) && code >= 100 && code < 600 ? code : 502;
  const message = typeof body.error?.message === 'string' ? body.error.message : 'the provider returned an error';
  return quotaAware({ kind: kindForStatus(status), status, message: redact(`error in a 200 answer (${status}): ${message}`, secret) }, undefined);
}

function header(headers: SdkError['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  return (headers as Record<string, string>)[name];
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? 'connection error';
}

export function redact(text: string, secret?: string): string {
  return secret && secret.length >= 4 ? text.split(secret).join('***') : text;
}
