import type { Registry } from 'prom-client';
import type { PhotoOutcome } from '../core/types.js';
import type { ModelCall } from '../core/types.js';

/** Prometheus metrics (prefix `phototag_`), fed by the events the core already emits. */
export class Metrics {
  private constructor(
    readonly registry: Registry,
    private readonly photos: import('prom-client').Counter<'status'>,
    private readonly photoSeconds: import('prom-client').Histogram<'status'>,
    private readonly calls: import('prom-client').Counter<'model' | 'outcome'>,
    private readonly callSeconds: import('prom-client').Histogram<'model'>,
    private readonly tokens: import('prom-client').Counter<'direction'>,
    private readonly cost: import('prom-client').Counter,
    private readonly lastSuccess: import('prom-client').Gauge,
  ) {}

  static async create(queueDepth: () => { queued: number; running: number }): Promise<Metrics> {
    const client = await import('prom-client');
    const registry = new client.Registry();
    client.collectDefaultMetrics({ register: registry, prefix: 'phototag_' });
    const register = [registry];
    new client.Gauge({
      name: 'phototag_queue_depth',
      help: 'Photos waiting or being worked on',
      labelNames: ['state'],
      registers: register,
      collect() {
        const depth = queueDepth();
        this.set({ state: 'queued' }, depth.queued);
        this.set({ state: 'running' }, depth.running);
      },
    });
    return new Metrics(
      registry,
      new client.Counter({
        name: 'phototag_photos_total',
        help: 'Photos finished, by status',
        labelNames: ['status'],
        registers: register,
      }),
      new client.Histogram({
        name: 'phototag_photo_duration_seconds',
        help: 'Time to tag one photo, model included',
        labelNames: ['status'],
        buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120],
        registers: register,
      }),
      new client.Counter({
        name: 'phototag_model_calls_total',
        help: 'Model requests, by model and outcome',
        labelNames: ['model', 'outcome'],
        registers: register,
      }),
      new client.Histogram({
        name: 'phototag_model_call_duration_seconds',
        help: 'Model request latency',
        labelNames: ['model'],
        buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120],
        registers: register,
      }),
      new client.Counter({ name: 'phototag_tokens_total', help: 'Tokens used', labelNames: ['direction'], registers: register }),
      new client.Counter({ name: 'phototag_cost_usd_total', help: 'Model cost in US dollars', registers: register }),
      new client.Gauge({ name: 'phototag_last_success_timestamp_seconds', help: 'When a photo was last tagged', registers: register }),
    );
  }

  photo(outcome: PhotoOutcome): void {
    this.photos.inc({ status: outcome.status });
    this.photoSeconds.observe({ status: outcome.status }, outcome.durationMs / 1000);
    if (outcome.status === 'done') this.lastSuccess.set(Date.now() / 1000);
  }

  call(call: ModelCall): void {
    this.calls.inc({ model: call.model, outcome: call.ok ? 'ok' : (call.error ?? 'error') });
    this.callSeconds.observe({ model: call.model }, call.ms / 1000);
    this.tokens.inc({ direction: 'in' }, call.tokensIn);
    this.tokens.inc({ direction: 'out' }, call.tokensOut);
    this.cost.inc(call.cost);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
