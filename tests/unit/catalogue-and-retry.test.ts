import { describe, expect, it } from 'vitest';
import { freeVisionCandidates, parseCatalogue } from '../../src/core/vision/catalogue.js';
import { faultFromBody, faultFromError, redact } from '../../src/core/vision/faults.js';
import { backoffDelay, parseRetryAfter } from '../../src/core/retry.js';
import { defaultModels } from '../support/fake-openai.mjs';

describe('model selection from a catalogue', () => {
  const catalogue = parseCatalogue([
    ...defaultModels(),
    { id: 'no-pricing/vision', architecture: { input_modalities: ['image', 'text'] } },
    {
      id: 'free/small-vision:free',
      context_length: 4096,
      architecture: { input_modalities: ['image', 'text'] },
      pricing: { prompt: '0', completion: '0' },
    },
    'garbage',
  ]);

  it('keeps only free models that take images', () => {
    const ids = freeVisionCandidates(catalogue, []).map((m) => m.id);
    expect(ids).toEqual(['free/vision-a:free', 'free/vision-b:free', 'free/small-vision:free']);
    expect(ids).not.toContain('paid/vision-pro');
    expect(ids).not.toContain('free/text-only:free');
    expect(ids).not.toContain('no-pricing/vision');
  });

  it('puts models that answered well before first', () => {
    const ids = freeVisionCandidates(catalogue, ['free/small-vision:free']).map((m) => m.id);
    expect(ids[0]).toBe('free/small-vision:free');
  });

  it('reads prices per token and structured output support', () => {
    const paid = catalogue.find((m) => m.id === 'paid/vision-pro')!;
    expect(paid.free).toBe(false);
    expect(paid.promptPrice).toBeCloseTo(0.000002);
    expect(paid.structuredOutput).toBe(true);
  });
});

describe('retry timing', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    const now = Date.parse('2026-11-27T10:00:00Z');
    expect(parseRetryAfter('Fri, 27 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('backs off exponentially with jitter inside the cap', () => {
    const low = () => 0;
    const high = () => 0.999;
    expect(backoffDelay(1, { baseMs: 1000, maxMs: 60_000, random: low })).toBe(500);
    expect(backoffDelay(3, { baseMs: 1000, maxMs: 60_000, random: high })).toBeLessThanOrEqual(4000);
    expect(backoffDelay(3, { baseMs: 1000, maxMs: 60_000, random: low })).toBe(2000);
    expect(backoffDelay(20, { baseMs: 1000, maxMs: 60_000, random: high })).toBeLessThanOrEqual(60_000);
  });
});

describe('provider faults', () => {
  it('classifies HTTP statuses and never repeats the key', () => {
    const fault = faultFromError(
      { name: 'APIError', status: 401, message: '401 bad key sk-live-abcdef', headers: new Headers() },
      'sk-live-abcdef',
    );
    expect(fault.kind).toBe('auth');
    expect(fault.message).not.toContain('sk-live-abcdef');
    expect(faultFromError({ status: 429, message: 'slow down', headers: new Headers({ 'retry-after': '3' }) }).retryAfterMs).toBe(3000);
    expect(faultFromError({ status: 503, message: 'x' }).kind).toBe('server');
    expect(faultFromError({ name: 'APIConnectionTimeoutError', message: 'Request timed out.' }).kind).toBe('timeout');
  });

  it('treats an error inside an HTTP 200 body as that error', () => {
    expect(faultFromBody({ error: { code: 429, message: 'Rate limit exceeded: free-models-per-minute' } }).kind).toBe('rate-limit');
    expect(faultFromBody({ error: { code: 502, message: 'Provider returned error' } }).kind).toBe('server');
    expect(faultFromBody({ error: { message: 'Provider returned error' } }).kind).toBe('server');
  });

  it('tells a used-up daily quota from a short rate limit, with the reset time', () => {
    const fault = faultFromError({
      status: 429,
      message: 'Rate limit exceeded: free-models-per-day',
      headers: new Headers({ 'x-ratelimit-reset': '1795910400000' }),
    });
    expect(fault.kind).toBe('quota');
    expect(fault.resetAt).toBe(1795910400000);
    expect(faultFromBody({ error: { code: 429, message: 'Rate limit exceeded: free-models-per-day' } }).kind).toBe('quota');
    expect(faultFromError({ status: 429, message: 'Rate limit exceeded: 20 per minute' }).kind).toBe('rate-limit');
  });

  it('redacts a secret wherever it appears', () => {
    expect(redact('key sk-1234 and sk-1234 again', 'sk-1234')).toBe('key *** and *** again');
  });
});
