import type OpenAI from 'openai';
import { FatalError, PhotoError, ProviderUnreachableError, QuotaError, type CallUsage } from '../errors.js';
import { CircuitBreaker } from './breaker.js';
import type { Analysis, ModelCall } from '../types.js';
import type { CatalogueModel } from './catalogue.js';
import { faultFromBody, faultFromError, isTransient, type ProviderFault, type SdkErrorClasses } from './faults.js';
import { boundedFetch } from './http.js';
import { parseModelAnswer } from './parse.js';
import { DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, instructions, responseSchema, systemPrompt, type PromptSettings } from './prompt.js';
import { CallSpacing } from './spacing.js';

export interface VisionSettings {
  provider: string;
  baseUrl: string;
  apiKey?: string;
  /** The models to try in order: one fixed model, or the candidates `auto` chose. */
  candidates: CatalogueModel[];
  /** The user asked for `auto`: fall back to the next candidate instead of waiting. */
  fallback: boolean;
  timeoutMs: number;
  /** Requests per minute across all workers; 0 = unlimited. */
  rpm: number;
  /** Circuit breaker: failures in a row before a model is paused, and the first pause. */
  breaker?: { threshold: number; cooldownMs: number };
  /**
   * When the provider cannot be reached several times in a row: true (the daemon) pauses and keeps the photos
   * queued until it answers again; false (a CLI run) stops the run with the photos still queued.
   */
  waitForProvider?: boolean;
  /** Sent with every call (config `model.temperature`, `model.maxTokens`). */
  temperature?: number;
  maxTokens?: number;
  /** The operator's instructions (config `prompt.template`, `prompt.extra`). */
  prompt?: PromptSettings;
  /** Config `model.fallback`: called when every candidate is paused by the circuit breaker. */
  fallbackModel?: CatalogueModel;
}

/** Connection failures in a row (any model: they share the endpoint) before the provider counts as unreachable. */
const UNREACHABLE_AFTER = 3;
const PROVIDER = 'provider';

export interface AnalyzeRequest {
  jpeg: Buffer;
  languages: readonly string[];
  maxKeywords: number;
  /** Lines about the photo from its own metadata (date, place, folder, hint). */
  context?: readonly string[];
  signal?: AbortSignal;
}

export interface VisionEvents {
  onCall?: (call: ModelCall) => void;
  /** A model failed too often in a row and is not called until `until` (epoch ms). */
  onPause?: (model: string, until: number, reason: string) => void;
  /** A model failed (or is paused) and the photo goes on to the next candidate. */
  onFallback?: (from: string, reason: string) => void;
  /** The model in use (the one later photos start with) changed. */
  onSwitch?: (from: string | undefined, to: string) => void;
  /** `from` failed for this photo and `to` is asked next (recorded in the store for /stats). */
  onHandOver?: (from: string, to: string, reason: string) => void;
}

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type Failure = {
  ok: false;
  reason: string;
  kind: 'transient' | 'connection' | 'cancelled' | 'invalid-output' | 'provider';
  retryAfterMs?: number;
  /** Answers that were paid for and then unusable. */
  usage?: CallUsage;
};

function addUsage(sum: CallUsage | undefined, more: CallUsage): CallUsage {
  if (!sum) return more;
  return { ...more, tokensIn: sum.tokensIn + more.tokensIn, tokensOut: sum.tokensOut + more.tokensOut, cost: sum.cost + more.cost };
}

/** "cannot reach the provider (ECONNREFUSED)" → "ECONNREFUSED". */
function detailOf(reason: string): string {
  return /^cannot reach the provider \((.*)\)$/su.exec(reason)?.[1] ?? reason;
}

function quotaError(fault: ProviderFault): QuotaError {
  const when = fault.resetAt ? `after ${new Date(fault.resetAt).toLocaleString()}` : 'tomorrow (free tiers reset daily)';
  return new QuotaError(
    `The provider's request quota is used up (${fault.message}). The remaining photos stay queued: run \`phototag retry\` ${when}.`,
    fault.resetAt,
  );
}

/**
 * The one adapter for vision models: one call per photo, a repair on bad output, model fallback and a circuit
 * breaker. Transient failures come back as PhotoError('transient') with a Retry-After: the job queue retries.
 */
export class VisionClient {
  private client?: OpenAI;
  private limiter?: CallSpacing;
  /** Index of the candidate that answered last: later photos start there. */
  private preferred = 0;
  private readonly noSchema = new Set<string>();
  private readonly breaker: CircuitBreaker;
  /** The provider as a whole: connection failures count here, not against a model. */
  private readonly reachability: CircuitBreaker;
  private sdkErrors: SdkErrorClasses = {};

  constructor(
    readonly settings: VisionSettings,
    private readonly events: VisionEvents = {},
  ) {
    this.breaker = new CircuitBreaker(settings.breaker?.threshold, settings.breaker?.cooldownMs);
    this.reachability = new CircuitBreaker(UNREACHABLE_AFTER, settings.breaker?.cooldownMs);
  }

  private async sdk(): Promise<OpenAI> {
    if (!this.client) {
      const sdkModule = await import('openai');
      const { default: OpenAISdk } = sdkModule;
      this.sdkErrors = sdkModule;
      // The SDK is imported as ESM at run time; its CommonJS typings describe the same class.
      this.client = new OpenAISdk({
        baseURL: this.settings.baseUrl,
        apiKey: this.settings.apiKey ?? 'not-needed',
        maxRetries: 0,
        timeout: this.settings.timeoutMs,
        // The SDK's timeout ends when the headers arrive; this fetch returns only with the whole (size-capped)
        // body, so the timeout covers a server that sends headers and then stalls.
        fetch: boundedFetch({ timeoutMs: this.settings.timeoutMs + 1000 }),
        defaultHeaders: { 'HTTP-Referer': 'https://github.com/phototag/phototag', 'X-Title': 'phototag' },
      }) as unknown as OpenAI;
      if (this.settings.rpm > 0) {
        this.limiter = CallSpacing.perMinute(this.settings.rpm);
      }
    }
    return this.client;
  }

  /** A fresh model list (the daemon re-reads `/models` while it runs): withdrawn models go, new ones come. */
  useCandidates(candidates: CatalogueModel[]): void {
    if (candidates.length === 0) return;
    const current = this.settings.candidates[this.preferred]?.id;
    this.settings.candidates = candidates;
    this.preferred = Math.max(
      0,
      candidates.findIndex((m) => m.id === current),
    );
  }

  /** For /readyz: whether some model may be called now (not every one paused by the circuit breaker). */
  circuit(): { ok: boolean; detail: string } {
    const unreachableUntil = this.reachability.openUntil(PROVIDER);
    if (unreachableUntil !== undefined)
      return { ok: false, detail: `provider unreachable, next try at ${new Date(unreachableUntil).toISOString()}` };
    const paused = this.settings.candidates.filter((m) => this.breaker.openUntil(m.id) !== undefined).map((m) => m.id);
    const fallback = this.settings.fallbackModel;
    const ok =
      paused.length < this.settings.candidates.length || (fallback !== undefined && this.breaker.openUntil(fallback.id) === undefined);
    return { ok, detail: paused.length ? `paused: ${paused.join(', ')}` : 'closed' };
  }

  /** For /metrics and the dashboard: when `model` (or `provider`, for the endpoint as a whole) may be called again, if paused now. */
  pausedUntil(model: string): number | undefined {
    return model === PROVIDER ? this.reachability.openUntil(PROVIDER) : this.breaker.openUntil(model);
  }

  /** The model later photos start with (the one that answered last). */
  modelInUse(): string | undefined {
    return this.settings.candidates[this.preferred]?.id;
  }

  async analyze(request: AnalyzeRequest): Promise<Analysis> {
    const candidates = this.settings.candidates;
    if (candidates.length === 0) throw new FatalError('No vision model to use: see `phototag models`.');
    const unreachableUntil = this.reachability.openUntil(PROVIDER);
    if (unreachableUntil !== undefined) throw this.unreachable(unreachableUntil, this.lastConnectionProblem);
    let lastProblem = 'no model answered';
    let lastKind: Failure['kind'] = 'transient';
    let retryAfterMs: number | undefined;
    let tried = false;
    let spent: CallUsage | undefined;
    let failedModel: string | undefined;
    // The candidates from the one that answered last, then the fallback model, which is only called when every
    // candidate is paused (a fixed model or all free ones failing): it is the operator's choice for that case.
    const fallbackModel = this.settings.fallbackModel;
    const order = candidates.map((_, offset) => (this.preferred + offset) % candidates.length);
    if (fallbackModel && !candidates.some((m) => m.id === fallbackModel.id)) order.push(-1);
    for (const [position, index] of order.entries()) {
      if (index === -1 && tried) break;
      const model = index === -1 ? fallbackModel! : candidates[index]!;
      // One clock reading for the check and the wait: formatting the time below can take a while (ICU loads on
      // first use), and a second reading after it could already be past the pause's end (a negative wait).
      const now = Date.now();
      const pausedUntil = this.breaker.openUntil(model.id, now);
      if (pausedUntil !== undefined) {
        retryAfterMs = Math.min(retryAfterMs ?? Infinity, pausedUntil - now);
        lastProblem = `${model.id}: paused after ${this.breaker.threshold} failures in a row, trying again at ${new Date(pausedUntil).toLocaleTimeString()}`;
        continue;
      }
      tried = true;
      if (failedModel !== undefined) this.events.onHandOver?.(failedModel, model.id, lastProblem);
      const outcome = await this.tryModel(model, request);
      if (outcome.ok) {
        this.breaker.success(model.id);
        // The fallback model is a stop-gap: it never becomes the preferred candidate.
        if (index === -1 ? model.id !== this.modelInUse() : index !== this.preferred) this.events.onSwitch?.(this.modelInUse(), model.id);
        if (index !== -1) this.preferred = index;
        return outcome.analysis;
      }
      if (outcome.kind === 'cancelled') throw new PhotoError('transient', 'interrupted before the model answered', 0, false);
      if (outcome.kind === 'connection') {
        // Every model sits behind the same endpoint: no fallback, and the photo keeps its attempts.
        this.lastConnectionProblem = outcome.reason;
        const until = this.reachability.failure(PROVIDER);
        if (until !== undefined) {
          if (this.settings.waitForProvider) this.events.onPause?.('provider', until, outcome.reason);
          throw this.unreachable(until, outcome.reason);
        }
        throw new PhotoError('transient', `${model.id}: ${outcome.reason}`, undefined, false);
      }
      if (outcome.usage) spent = addUsage(spent, outcome.usage);
      lastProblem = `${model.id}: ${outcome.reason}`;
      failedModel = model.id;
      lastKind = outcome.kind;
      retryAfterMs = outcome.retryAfterMs;
      if (outcome.kind === 'transient' || outcome.kind === 'invalid-output') {
        const until = this.breaker.failure(model.id);
        if (until !== undefined) this.events.onPause?.(model.id, until, outcome.reason);
      }
      if (!this.settings.fallback || request.signal?.aborted) break;
      if (position + 1 < order.length) this.events.onFallback?.(model.id, outcome.kind);
    }
    // Every model paused: wait for the first to reopen without using up one of the photo's attempts.
    if (!tried) throw new PhotoError('transient', lastProblem, retryAfterMs, false);
    const failure = new PhotoError(
      lastKind === 'transient' ? 'transient' : lastKind === 'invalid-output' ? 'invalid-output' : 'provider',
      lastProblem,
      lastKind === 'transient' ? retryAfterMs : undefined,
    );
    failure.usage = spent;
    throw failure;
  }

  private lastConnectionProblem = 'cannot reach the provider';

  /** The provider did not answer several times in a row: the daemon waits, a CLI run stops (photos stay queued). */
  private unreachable(until: number, reason: string): Error {
    if (!this.settings.waitForProvider) {
      return new ProviderUnreachableError(
        `Cannot reach the provider at ${this.settings.baseUrl} (${detailOf(reason)}). The photos not yet tagged stay queued: run \`phototag retry\` once it is back.`,
      );
    }
    return new PhotoError(
      'transient',
      `the provider is unreachable (${detailOf(reason)}); trying again at ${new Date(until).toLocaleTimeString()}`,
      Math.max(0, until - Date.now()),
      false,
    );
  }

  private async tryModel(model: CatalogueModel, request: AnalyzeRequest): Promise<{ ok: true; analysis: Analysis } | Failure> {
    const messages: Message[] = [
      { role: 'system', content: systemPrompt() },
      {
        role: 'user',
        content: [
          { type: 'text', text: instructions(request.languages, request.maxKeywords, request.context, this.settings.prompt) },
          { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${request.jpeg.toString('base64')}` } },
        ],
      },
    ];
    let tokensIn = 0;
    let tokensOut = 0;
    let cost = 0;
    let repaired = false;
    for (;;) {
      const answer = await this.call(model, messages, request);
      if ('fault' in answer) {
        const fault = answer.fault;
        if (fault.kind === 'auth')
          throw new FatalError(
            `The provider refused the API key (${fault.message}). Check PHOTOTAG_API_KEY or your provider's key variable.`,
          );
        if (fault.kind === 'credit')
          throw new FatalError(
            `The provider says the account has no credit left (${fault.message}). Add credit or use a free model (--model auto).`,
          );
        if (fault.kind === 'quota') throw quotaError(fault);
        if (fault.kind === 'bad-request' && !this.noSchema.has(model.id)) {
          this.noSchema.add(model.id); // some servers reject response_format: ask again without it
          continue;
        }
        if (fault.kind !== 'connection') this.reachability.success(PROVIDER);
        if (fault.kind === 'connection' || fault.kind === 'cancelled') return { ok: false, reason: fault.message, kind: fault.kind };
        if (fault.kind === 'too-large') return { ok: false, reason: fault.message, kind: 'invalid-output' };
        return { ok: false, reason: fault.message, kind: isTransient(fault) ? 'transient' : 'provider', retryAfterMs: fault.retryAfterMs };
      }
      this.reachability.success(PROVIDER);
      tokensIn += answer.tokensIn;
      tokensOut += answer.tokensOut;
      cost += answer.cost;
      const parsed = parseModelAnswer(answer.text, request.languages);
      if (parsed.ok) {
        return {
          ok: true,
          analysis: {
            result: parsed.result,
            provider: this.settings.provider,
            model: answer.model ?? model.id,
            tokensIn,
            tokensOut,
            cost,
            cacheHit: false,
          },
        };
      }
      if (repaired) {
        const usage = { provider: this.settings.provider, model: answer.model ?? model.id, tokensIn, tokensOut, cost };
        return { ok: false, reason: `unusable answer after a repair request: ${parsed.reason}`, kind: 'invalid-output', usage };
      }
      repaired = true;
      messages.push({ role: 'assistant', content: answer.text.slice(0, 4000) });
      messages.push({
        role: 'user',
        content: `That answer cannot be used: ${parsed.reason}. Reply again with only the JSON object, exactly in the requested shape.`,
      });
    }
  }

  private async call(
    model: CatalogueModel,
    messages: Message[],
    request: AnalyzeRequest,
  ): Promise<{ text: string; model?: string; tokensIn: number; tokensOut: number; cost: number } | { fault: ProviderFault }> {
    const sdk = await this.sdk();
    let started = Date.now();
    const send = async () => {
      started = Date.now();
      const body: Record<string, unknown> = {
        model: model.id,
        messages,
        temperature: this.settings.temperature ?? DEFAULT_TEMPERATURE,
        max_tokens: this.settings.maxTokens ?? DEFAULT_MAX_TOKENS,
      };
      if (!this.noSchema.has(model.id)) {
        body.response_format = {
          type: 'json_schema',
          json_schema: { name: 'photo_metadata', strict: true, schema: responseSchema(request.languages) },
        };
      }
      if (this.settings.provider === 'openrouter') body.usage = { include: true };
      return sdk.chat.completions.create(body as never, { signal: request.signal });
    };
    const report = (ok: boolean, extra: Partial<ModelCall> = {}) =>
      this.events.onCall?.({
        provider: this.settings.provider,
        model: model.id,
        ok,
        ms: Date.now() - started,
        tokensIn: 0,
        tokensOut: 0,
        cost: 0,
        imageBytes: request.jpeg.length,
        ...extra,
      });
    try {
      const completion = (await (this.limiter ? this.limiter.run(send) : send())) as OpenAI.Chat.Completions.ChatCompletion & {
        error?: { code?: unknown; message?: unknown };
        usage?: { cost?: number };
      };
      if (completion.error || !Array.isArray(completion.choices) || completion.choices.length === 0) {
        const fault: ProviderFault = completion.error
          ? faultFromBody(completion, this.settings.apiKey)
          : { kind: 'server', message: 'answer without choices' };
        report(false, { error: fault.kind });
        return { fault };
      }
      const choice = completion.choices[0]!;
      const tokensIn = completion.usage?.prompt_tokens ?? 0;
      const tokensOut = completion.usage?.completion_tokens ?? 0;
      const cost =
        typeof completion.usage?.cost === 'number'
          ? completion.usage.cost
          : tokensIn * model.promptPrice + tokensOut * model.completionPrice;
      report(true, { tokensIn, tokensOut, cost });
      return {
        text: typeof choice.message?.content === 'string' ? choice.message.content : '',
        model: completion.model || undefined,
        tokensIn,
        tokensOut,
        cost,
      };
    } catch (error) {
      const fault = faultFromError(error, this.settings.apiKey, this.sdkErrors);
      report(false, { error: fault.kind });
      return { fault };
    }
  }
}
