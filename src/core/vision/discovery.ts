import { ConfigError, errorMessage, FatalError } from '../errors.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store.js';
import { freeVisionCandidates, paidVisionCandidates, parseCatalogue, type CatalogueModel } from './catalogue.js';
import { faultFromError, redact } from './faults.js';
import { boundedFetch } from './http.js';
import { apiKeyFor, PRESETS, type ProviderPreset } from './providers.js';

export interface ResolvedProvider {
  preset: ProviderPreset;
  baseUrl: string;
  apiKey?: string;
  /** The model the user asked for ("auto" or an id). */
  model: string;
  rpm: number;
  /** `model.allowPaid`: `auto` may choose a paid model where no free one is offered. */
  allowPaid?: boolean;
  /** `model.fallback`: the model for when no free vision model is offered or every candidate is paused. */
  fallback?: string;
  /** The preset's own server (api.openai.com, openrouter.ai), not a compatible one reached through the preset. */
  ownServer?: boolean;
  /** Why a model was chosen for the user (`auto` on OpenAI with --allow-paid): one line for stderr or the log. */
  notice?: string;
}

const CATALOGUE_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** OpenRouter by its address: `--base-url https://openrouter.ai/api/v1` is OpenRouter, with its limits, free list and key. */
const OPENROUTER_HOST = /(^|\.)openrouter\.ai$/iu;

/** OpenAI itself sells every model it offers. */
function noFreeModels(provider: ResolvedProvider): boolean {
  return provider.preset.name === 'openai' && provider.ownServer === true;
}

function paidOnlyError(preset: ProviderPreset): ConfigError {
  const paid = preset.defaultModel;
  return new ConfigError(
    `--model auto chooses only free models, and OpenAI has none: name the model to pay for, e.g. --model ${paid} (config: model: ${paid}), or let auto use ${paid} with --allow-paid (config: model.allowPaid: true).`,
  );
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

/** The preset's own server (not a compatible server reached through its preset): its key is needed and its prices known. */
function isOwnServer(preset: ProviderPreset, baseUrl: string): boolean {
  return hostOf(baseUrl).toLowerCase() === hostOf(preset.baseUrl).toLowerCase();
}

/**
 * Which provider to use: the configured one, else OpenRouter when its key is set, else a local Ollama that
 * answers and offers a vision model, else stop with a message saying how to get going. Not having one is a
 * config error (exit 2), like a bad key.
 */
export async function resolveProvider(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
  options: { listing?: boolean } = {},
): Promise<ResolvedProvider> {
  let preset: ProviderPreset | undefined = config.provider ? PRESETS[config.provider] : undefined;
  if (config.baseUrl && OPENROUTER_HOST.test(hostOf(config.baseUrl))) preset = PRESETS.openrouter;
  if (!preset && config.baseUrl) preset = PRESETS.openai;
  if (!preset && (env.OPENROUTER_API_KEY || env.PHOTOTAG_API_KEY || config.apiKey)) preset = PRESETS.openrouter;
  if (!preset && (await ollamaVisionModels(PRESETS.ollama.baseUrl, 1500)).length > 0) preset = PRESETS.ollama;
  if (!preset) {
    const openaiKey = env.OPENAI_API_KEY
      ? `OPENAI_API_KEY is set: \`--provider openai --model ${PRESETS.openai.defaultModel}\` uses it (OpenAI's models are paid). `
      : '';
    throw new ConfigError(
      `No vision model is configured. ${openaiKey}Free: create a key at https://openrouter.ai/keys and \`export OPENROUTER_API_KEY=…\`; ` +
        'local: install Ollama, `ollama pull qwen2.5vl`, keep `ollama serve` running (phototag finds it); ' +
        'any OpenAI-compatible server: --provider openai --base-url URL (key in PHOTOTAG_API_KEY).',
    );
  }
  const apiKey = apiKeyFor(preset, env, config.apiKey);
  const baseUrl = (config.baseUrl ?? preset.baseUrl).replace(/\/+$/u, '');
  const ownServer = isOwnServer(preset, baseUrl);
  if (preset.needsKey && !apiKey && ownServer) {
    const openaiHint =
      preset.name !== 'openai' && env.OPENAI_API_KEY
        ? ` OPENAI_API_KEY is set: \`--provider openai --model ${PRESETS.openai.defaultModel}\` uses it (OpenAI's models are paid).`
        : '';
    throw new ConfigError(`Provider ${preset.name} needs an API key: set ${preset.keyEnv} (or PHOTOTAG_API_KEY).${openaiHint}`);
  }
  const resolved: ResolvedProvider = {
    preset,
    baseUrl,
    apiKey,
    model: config.model.id,
    rpm: config.rpm ?? preset.defaultRpm ?? 0,
    ownServer,
  };
  if (config.model.allowPaid) resolved.allowPaid = true;
  if (config.model.fallback) resolved.fallback = config.model.fallback;
  // OpenAI offers no free model: `auto` there would mean paying without having been asked.
  if (config.model.id === 'auto' && noFreeModels(resolved)) {
    if (config.model.fallback) {
      resolved.model = config.model.fallback;
      resolved.notice = `model auto: OpenAI has no free models; using model.fallback ${config.model.fallback}`;
      return resolved;
    }
    if (!config.model.allowPaid) {
      if (options.listing) return resolved; // `phototag models` lists them all the same
      throw paidOnlyError(preset);
    }
    resolved.model = preset.defaultModel;
    resolved.notice = `model auto: OpenAI has no free models; using ${preset.defaultModel} (paid), as --allow-paid allows`;
  }
  return resolved;
}

export interface CatalogueOptions {
  /** Read `/models` even if the cached list is fresh. */
  refresh?: boolean;
  timeoutMs?: number;
  /** How old a cached list may be before it is read again (`catalogue.refreshHours`). */
  maxAgeMs?: number;
  /**
   * `/models` failed but an older list is cached: use it and say so here. Without this callback the failure
   * stands (`phototag models --refresh` must show it).
   */
  onStale?: (message: string) => void;
}

/**
 * The models to try, in order. A fixed model is the only candidate; `auto` asks the provider and keeps its free
 * vision models. Where the list states no prices (Ollama, LM Studio, most OpenAI-compatible servers) there is
 * nothing to tell free from paid: the chosen model and why come back as `notice`, one line to show the user.
 */
export async function resolveCandidates(
  provider: ResolvedProvider,
  store?: Store,
  options: CatalogueOptions = {},
): Promise<{ candidates: CatalogueModel[]; catalogue: CatalogueModel[]; notice?: string; fallback?: CatalogueModel }> {
  const listOptions = { ...options, timeoutMs: Math.min(options.timeoutMs ?? 15_000, 15_000) };
  if (provider.model !== 'auto') {
    // Only prices come from the list here: a slow or broken /models must not hold the run up.
    const catalogue = await catalogueFor(provider, store, listOptions).catch(() => [] as CatalogueModel[]);
    const listed = (id: string) => catalogue.find((model) => model.id === id) ?? fixedModel(id);
    return {
      candidates: [listed(provider.model)],
      catalogue,
      notice: provider.notice,
      ...(provider.fallback ? { fallback: listed(provider.fallback) } : {}),
    };
  }
  const chosen = await autoCandidates(provider, store, listOptions);
  if (!provider.fallback) return chosen;
  return { ...chosen, fallback: chosen.catalogue.find((model) => model.id === provider.fallback) ?? fixedModel(provider.fallback) };
}

async function autoCandidates(
  provider: ResolvedProvider,
  store: Store | undefined,
  listOptions: CatalogueOptions,
): Promise<{ candidates: CatalogueModel[]; catalogue: CatalogueModel[]; notice?: string }> {
  if (noFreeModels(provider)) throw paidOnlyError(provider.preset);
  if (provider.preset.name === 'ollama') {
    const ids = await ollamaVisionModels(provider.baseUrl, 5000);
    if (ids.length === 0)
      throw new FatalError(`Ollama at ${provider.baseUrl} offers no vision model: \`ollama pull qwen2.5vl\`, or name one with --model.`);
    const models = ids.map(fixedModel);
    const others = ids.length > 1 ? ` (then ${ids.slice(1).join(', ')})` : '';
    return {
      candidates: models,
      catalogue: models,
      notice: `model auto: Ollama models are local, no prices apply; using ${ids[0]}${others}, installed with the vision capability (--model to choose)`,
    };
  }
  const catalogue = await catalogueFor(provider, store, listOptions);
  const free = freeVisionCandidates(catalogue, store?.cache.provenModels() ?? []);
  if (free.length > 0) return { candidates: free, catalogue };
  const where = `${provider.baseUrl}/models`;
  if (!catalogue.some((model) => model.priced)) {
    // Ids only: a local or self-hosted server. Its own vision models if it marks them, else the first it lists.
    const marked = catalogue.filter((model) => model.vision);
    const candidates = marked.length > 0 ? marked : catalogue.slice(0, 1);
    if (candidates.length === 0) throw new FatalError(`${where} lists no model; name one with --model.`);
    const why = marked.length > 0 ? 'the first it marks as a vision model' : 'the first it lists';
    return {
      candidates,
      catalogue,
      notice: `model auto: ${where} states no prices; using ${candidates[0]!.id}, ${why} (--model to choose another)`,
    };
  }
  if (provider.fallback) {
    const fallback = catalogue.find((model) => model.id === provider.fallback) ?? fixedModel(provider.fallback);
    return {
      candidates: [fallback],
      catalogue,
      notice: `model auto: ${where} lists no free vision model; using model.fallback ${fallback.id}`,
    };
  }
  const paid = paidVisionCandidates(catalogue);
  if (provider.allowPaid && paid.length > 0) {
    return {
      candidates: paid,
      catalogue,
      notice: `model auto: ${where} lists no free vision model; using ${paid[0]!.id} (paid, the cheapest vision model), as --allow-paid allows`,
    };
  }
  const example = paid[0] ? `, e.g. --model ${paid[0].id} (the cheapest vision model listed),` : '';
  throw new FatalError(
    `${where} lists no free vision model: name one with --model${example} or let auto choose a paid one with --allow-paid (see \`phototag models\`).`,
  );
}

/** The provider's `/models`, cached in the database (24 hours unless `maxAgeMs` says otherwise). */
export async function catalogueFor(provider: ResolvedProvider, store?: Store, options: CatalogueOptions = {}): Promise<CatalogueModel[]> {
  const cached = options.refresh ? undefined : store?.cache.catalogue(provider.baseUrl, options.maxAgeMs ?? CATALOGUE_MAX_AGE_MS);
  if (cached) return parseCatalogue(cached);
  let response: unknown;
  try {
    response = await fetchJson(`${provider.baseUrl}/models`, provider.apiKey, options.timeoutMs ?? 15_000);
  } catch (error) {
    // Chat may well work while /models is down: an old list beats stopping every run.
    const stale = options.onStale ? store?.cache.catalogue(provider.baseUrl, Number.POSITIVE_INFINITY) : undefined;
    if (!stale) throw error;
    options.onStale!(`${errorMessage(error).replace(/\.$/u, '')}; using the model list cached earlier`);
    return parseCatalogue(stale);
  }
  const data = Array.isArray((response as { data?: unknown }).data) ? (response as { data: unknown[] }).data : [];
  store?.cache.saveCatalogue(provider.baseUrl, data);
  return parseCatalogue(data);
}

function fixedModel(id: string): CatalogueModel {
  return { id, vision: true, free: false, priced: false, promptPrice: 0, completionPrice: 0, structuredOutput: true, contextLength: 0 };
}

async function ollamaVisionModels(baseUrl: string, timeoutMs: number): Promise<string[]> {
  const root = baseUrl.replace(/\/v1$/u, '');
  try {
    const tags = (await fetchJson(`${root}/api/tags`, undefined, timeoutMs)) as { models?: { name?: string }[] };
    const names = (tags.models ?? []).map((m) => m.name).filter((n): n is string => typeof n === 'string');
    const vision: string[] = [];
    for (const name of names) {
      const info = (await fetchJson(`${root}/api/show`, undefined, timeoutMs, { model: name })) as { capabilities?: string[] };
      if (info.capabilities?.includes('vision')) vision.push(name);
    }
    return vision;
  } catch {
    return [];
  }
}

async function fetchJson(url: string, apiKey: string | undefined, timeoutMs: number, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    // A /models list of a large provider is a few hundred KB; the cap keeps a broken server from filling memory.
    response = await boundedFetch({ timeoutMs, maxBytes: 32 * 1024 * 1024 })(url, {
      method: body ? 'POST' : 'GET',
      headers: { ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (error) {
    const fault = faultFromError(error);
    throw new FatalError(
      redact(
        `Cannot reach ${url}: ${fault.kind === 'timeout' ? `no answer within ${Math.round(timeoutMs / 1000)} s` : fault.message}`,
        apiKey,
      ),
    );
  }
  if (response.status === 401 || response.status === 403) throw new FatalError(`${url} refused the API key (HTTP ${response.status}).`);
  if (!response.ok) throw new FatalError(`${url} answered HTTP ${response.status}.`);
  return response.json();
}
