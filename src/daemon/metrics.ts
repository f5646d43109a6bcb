import { statfs } from 'node:fs/promises';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FailureKind } from '../core/errors.js';
import type { TimedStage } from '../core/pipeline.js';
import type { ModelCall, PhotoOutcome } from '../core/types.js';

/** What the metrics read at scrape time: from the database (right after a restart) and from the live parts. */
export interface MetricSources {
  queueDepth(): { queued: number; running: number };
  /** When a photo was last tagged, from the database (so the "no success" alert survives a restart). */
  lastSuccessMs(): number | undefined;
  /** The data directory, for its free-space gauge. */
  dataDir: string;
  /** When a model (or `provider`, the endpoint as a whole) may be called again, if its breaker holds it paused now. */
  pausedUntil(model: string): number | undefined;
  /** Whether some model may be called now. */
  providerAvailable(): boolean;
  modelInUse(): string | undefined;
}

/** Every failure kind, so each series exists (at 0) from the first scrape and `rate()` sees the first failure. */
const FAILURE_KINDS: Record<FailureKind, true> = {
  missing: true,
  unsupported: true,
  corrupt: true,
  unreadable: true,
  'read-only': true,
  'no-preview': true,
  'invalid-output': true,
  'write-failed': true,
  'verify-failed': true,
  transient: true,
  provider: true,
  changed: true,
};
const STAGES: TimedStage[] = ['read', 'decode', 'model', 'write'];
/** Where photos come from over the network; the API's upload route counts `http`. */
export type UploadSource = 'http' | 'telegram';
/** Model names are labels: only models actually called, and at most this many (the rest count as `other`). */
const MAX_MODELS = 50;
const PROVIDER = 'provider';

/**
 * Prometheus metrics (prefix `phototag_`), fed by the events the core emits; the daemon owns them (core imports no
 * prom-client). Labels stay low-cardinality: statuses, kinds, stages, directions and the models in use, never paths,
 * file names or user ids.
 */
export class Metrics {
  private readonly models = new Set<string>();

  private constructor(
    readonly registry: Registry,
    private readonly m: {
      photos: Counter<'status'>;
      photoSeconds: Histogram<'status'>;
      failures: Counter<'kind'>;
      retries: Counter;
      calls: Counter<'model' | 'outcome'>;
      callSeconds: Histogram<'model'>;
      fallbacks: Counter<'model' | 'reason'>;
      switches: Counter<'model'>;
      imageBytes: Counter;
      tokens: Counter<'direction'>;
      cost: Counter;
      stageSeconds: Histogram<'stage'>;
      telegram: Counter<'direction' | 'type'>;
      telegramErrors: Counter<'method'>;
      uploads: Counter<'source'>;
      lastSuccess: Gauge;
    },
  ) {}

  static async create(sources: MetricSources): Promise<Metrics> {
    const client = await import('prom-client');
    const registry = new client.Registry();
    client.collectDefaultMetrics({ register: registry, prefix: 'phototag_' });
    const registers = [registry];
    const seconds = [0.5, 1, 2, 5, 10, 20, 30, 60, 120];
    // Closures below read `metrics` at scrape time (the set of models seen so far).
    let metrics: Metrics | undefined;
    const seenModels = () => [...(metrics?.models ?? [])];

    new client.Gauge({
      name: 'phototag_queue_depth',
      help: 'Photos waiting (queued) or being worked on (running), from the database',
      labelNames: ['state'],
      registers,
      collect() {
        const depth = sources.queueDepth();
        this.set({ state: 'queued' }, depth.queued);
        this.set({ state: 'running' }, depth.running);
      },
    });
    new client.Gauge({
      name: 'phototag_model_paused',
      help: 'Whether the circuit breaker holds a model paused (1) or lets it be called (0); model="provider" is the endpoint as a whole',
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        for (const model of [PROVIDER, ...seenModels()]) this.set({ model }, sources.pausedUntil(model) === undefined ? 0 : 1);
      },
    });
    new client.Gauge({
      name: 'phototag_model_paused_until_timestamp_seconds',
      help: 'When a paused model (or the provider) may be called again',
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        for (const model of [PROVIDER, ...seenModels()]) {
          const until = sources.pausedUntil(model);
          if (until !== undefined) this.set({ model }, until / 1000);
        }
      },
    });
    new client.Gauge({
      name: 'phototag_provider_available',
      help: 'Whether some model may be called now (0: the provider is unreachable or every model is paused)',
      registers,
      collect() {
        this.set(sources.providerAvailable() ? 1 : 0);
      },
    });
    new client.Gauge({
      name: 'phototag_model_in_use',
      help: 'The model later photos start with (1 for that model)',
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        const model = sources.modelInUse();
        if (model) this.set({ model: metrics?.model(model) ?? model }, 1);
      },
    });
    new client.Gauge({
      name: 'phototag_data_dir_free_bytes',
      help: 'Free space (for phototag, not root) on the file system holding the data directory',
      registers,
      async collect() {
        const fsStats = await statfs(sources.dataDir).catch(() => undefined);
        if (fsStats) this.set(fsStats.bavail * fsStats.bsize);
      },
    });
    new client.Gauge({
      name: 'phototag_data_dir_size_bytes',
      help: 'Size of the file system holding the data directory',
      registers,
      async collect() {
        const fsStats = await statfs(sources.dataDir).catch(() => undefined);
        if (fsStats) this.set(fsStats.blocks * fsStats.bsize);
      },
    });

    metrics = new Metrics(registry, {
      photos: new client.Counter({ name: 'phototag_photos_total', help: 'Photos finished, by status', labelNames: ['status'], registers }),
      photoSeconds: new client.Histogram({
        name: 'phototag_photo_duration_seconds',
        help: 'Time to tag one photo, model included',
        labelNames: ['status'],
        buckets: seconds,
        registers,
      }),
      failures: new client.Counter({
        name: 'phototag_failures_total',
        help: 'Photos that failed for good, by kind of failure',
        labelNames: ['kind'],
        registers,
      }),
      retries: new client.Counter({
        name: 'phototag_retries_total',
        help: 'Transient failures sent back to the queue to be tried again later',
        registers,
      }),
      calls: new client.Counter({
        name: 'phototag_model_calls_total',
        help: 'Model requests, by model and outcome (ok or the fault kind)',
        labelNames: ['model', 'outcome'],
        registers,
      }),
      callSeconds: new client.Histogram({
        name: 'phototag_model_call_duration_seconds',
        help: 'Model request latency',
        labelNames: ['model'],
        buckets: seconds,
        registers,
      }),
      fallbacks: new client.Counter({
        name: 'phototag_model_fallbacks_total',
        help: 'A model failed and the photo went on to the next candidate, by the model that failed and why',
        labelNames: ['model', 'reason'],
        registers,
      }),
      switches: new client.Counter({
        name: 'phototag_model_switches_total',
        help: 'The model in use changed, by the model switched to',
        labelNames: ['model'],
        registers,
      }),
      imageBytes: new client.Counter({
        name: 'phototag_model_image_bytes_total',
        help: 'Bytes of downscaled JPEG sent to the model (before base64), every request counted',
        registers,
      }),
      tokens: new client.Counter({ name: 'phototag_tokens_total', help: 'Tokens used', labelNames: ['direction'], registers }),
      cost: new client.Counter({ name: 'phototag_cost_usd_total', help: 'Model cost in US dollars', registers }),
      stageSeconds: new client.Histogram({
        name: 'phototag_stage_duration_seconds',
        help: 'Time one photo spent in a stage: read (ExifTool), decode (and downscale), model, write (verified)',
        labelNames: ['stage'],
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
        registers,
      }),
      telegram: new client.Counter({
        name: 'phototag_telegram_messages_total',
        help: 'Telegram traffic: updates received (direction="in", type = update type) and messages sent (direction="out", type = Bot API method)',
        labelNames: ['direction', 'type'],
        registers,
      }),
      telegramErrors: new client.Counter({
        name: 'phototag_telegram_errors_total',
        help: 'Bot API calls that failed, by method',
        labelNames: ['method'],
        registers,
      }),
      uploads: new client.Counter({
        name: 'phototag_uploads_total',
        help: 'Photos received over the network and queued, by source (http, telegram)',
        labelNames: ['source'],
        registers,
      }),
      lastSuccess: new client.Gauge({
        name: 'phototag_last_success_timestamp_seconds',
        help: 'When a photo was last tagged (from the database at start, then live)',
        registers,
      }),
    });
    metrics.start(sources);
    return metrics;
  }

  /** Series that exist at 0 from the first scrape: an alert's `rate()` then sees the very first failure. */
  private start(sources: MetricSources): void {
    for (const status of ['done', 'skipped', 'failed']) this.m.photos.inc({ status }, 0);
    for (const kind of Object.keys(FAILURE_KINDS)) this.m.failures.inc({ kind }, 0);
    for (const source of ['http', 'telegram'] satisfies UploadSource[]) this.m.uploads.inc({ source }, 0);
    for (const direction of ['in', 'out']) this.m.telegram.inc({ direction, type: direction === 'in' ? 'message' : 'sendMessage' }, 0);
    for (const direction of ['in', 'out']) this.m.tokens.inc({ direction }, 0);
    this.m.retries.inc(0);
    this.m.imageBytes.inc(0);
    this.m.cost.inc(0);
    for (const stage of STAGES) this.m.stageSeconds.zero({ stage });
    const last = sources.lastSuccessMs();
    if (last !== undefined) this.m.lastSuccess.set(last / 1000);
  }

  /** The label for a model: itself while the set of models seen is small, `other` beyond it. */
  private model(name: string): string {
    if (this.models.has(name)) return name;
    if (this.models.size >= MAX_MODELS) return 'other';
    this.models.add(name);
    return name;
  }

  photo(outcome: PhotoOutcome): void {
    this.m.photos.inc({ status: outcome.status });
    this.m.photoSeconds.observe({ status: outcome.status }, outcome.durationMs / 1000);
    if (outcome.status === 'failed') this.m.failures.inc({ kind: outcome.errorKind ?? 'unreadable' });
    if (outcome.status === 'done') this.m.lastSuccess.set(Date.now() / 1000);
  }

  retry(): void {
    this.m.retries.inc();
  }

  call(call: ModelCall): void {
    const model = this.model(call.model);
    this.m.calls.inc({ model, outcome: call.ok ? 'ok' : (call.error ?? 'error') });
    this.m.callSeconds.observe({ model }, call.ms / 1000);
    this.m.tokens.inc({ direction: 'in' }, call.tokensIn);
    this.m.tokens.inc({ direction: 'out' }, call.tokensOut);
    this.m.cost.inc(call.cost);
    this.m.imageBytes.inc(call.imageBytes ?? 0);
  }

  fallback(from: string, reason: string): void {
    this.m.fallbacks.inc({ model: this.model(from), reason });
  }

  switched(to: string): void {
    this.m.switches.inc({ model: this.model(to) });
  }

  stage(stage: TimedStage, ms: number): void {
    this.m.stageSeconds.observe({ stage }, ms / 1000);
  }

  telegram(event: 'in' | 'out' | 'error', method: string): void {
    if (event === 'error') this.m.telegramErrors.inc({ method });
    else this.m.telegram.inc({ direction: event, type: method });
  }

  /** A photo received over the network was queued (the Telegram bot, the HTTP upload route). */
  upload(source: UploadSource): void {
    this.m.uploads.inc({ source });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
