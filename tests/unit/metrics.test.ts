import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Metrics, type MetricSources } from '../../src/daemon/metrics.js';
import { ROOT } from '../support/corpus.js';
import { families, value } from '../support/metrics.js';

function sources(overrides: Partial<MetricSources> = {}): MetricSources {
  return {
    dataDir: os.tmpdir(),
    queueDepth: () => ({ queued: 7, running: 2 }),
    lastSuccessMs: () => undefined,
    pausedUntil: () => undefined,
    providerAvailable: () => true,
    modelInUse: () => undefined,
    ...overrides,
  };
}
const call = (model: string, ok = true) => ({
  provider: 'openrouter',
  model,
  ok,
  ms: 1200,
  tokensIn: 10,
  tokensOut: 5,
  cost: 0,
  imageBytes: 1000,
});

describe('Metrics', () => {
  it('shows each paused model and the provider with its pause end, and whether any model may be called', async () => {
    const until = Date.now() + 60_000;
    const metrics = await Metrics.create(
      sources({
        pausedUntil: (model) => (model === 'provider' || model === 'm/a' ? until : undefined),
        providerAvailable: () => false,
        modelInUse: () => 'm/b',
      }),
    );
    metrics.call(call('m/a', false));
    metrics.call(call('m/b'));
    const text = await metrics.text();
    expect(value(text, 'phototag_model_paused', { model: 'provider' })).toBe(1);
    expect(value(text, 'phototag_model_paused', { model: 'm/a' })).toBe(1);
    expect(value(text, 'phototag_model_paused', { model: 'm/b' })).toBe(0);
    expect(value(text, 'phototag_model_paused_until_timestamp_seconds', { model: 'm/a' })).toBe(until / 1000);
    expect(value(text, 'phototag_model_paused_until_timestamp_seconds', { model: 'm/b' })).toBeUndefined();
    expect(value(text, 'phototag_provider_available')).toBe(0);
    expect(value(text, 'phototag_model_in_use', { model: 'm/b' })).toBe(1);
    expect(value(text, 'phototag_queue_depth', { state: 'queued' })).toBe(7);
    expect(value(text, 'phototag_model_image_bytes_total')).toBe(2000);
  });

  it('keeps model labels bounded: past 50 models the rest count as "other"', async () => {
    const metrics = await Metrics.create(sources());
    for (let i = 0; i < 60; i++) metrics.call(call(`m/${i}`));
    const text = await metrics.text();
    const models = new Set([...text.matchAll(/^phototag_model_calls_total\{model="([^"]+)"/gmu)].map((m) => m[1]));
    expect(models.size).toBe(51);
    expect(value(text, 'phototag_model_calls_total', { model: 'other', outcome: 'ok' })).toBe(10);
  });

  it('starts the last-success gauge from the database', async () => {
    const metrics = await Metrics.create(sources({ lastSuccessMs: () => 1_700_000_000_000 }));
    expect(value(await metrics.text(), 'phototag_last_success_timestamp_seconds')).toBe(1_700_000_000);
  });
});

describe('the README', () => {
  it('documents every metric /metrics exposes', async () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const metrics = await Metrics.create(sources());
    const own = [...families(await metrics.text()).keys()].filter((name) => !/^phototag_(process|nodejs)_/u.test(name));
    expect(own.length).toBeGreaterThan(20);
    for (const name of own) expect(readme, name).toContain(`| \`${name}\` |`);
  });
});
