import { errorMessage, FatalError } from '../errors.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store.js';
import { freeVisionCandidates, parseCatalogue, type CatalogueModel } from './catalogue.js';
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
}

const CATALOGUE_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * Which provider to use: the configured one, else OpenRouter when its key is set, else a local Ollama that
 * answers and offers a vision model, else stop with a message saying how to get going.
 */
export async function resolveProvider(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedProvider> {
  let preset: ProviderPreset | undefined = config.provider ? PRESETS[config.provider] : undefined;
  if (!preset && config.baseUrl) preset = PRESETS.openai;
  if (!preset && (env.OPENROUTER_API_KEY || env.PHOTOTAG_API_KEY || config.apiKey)) preset = PRESETS.openrouter;
  if (!preset && (await ollamaVisionModels(PRESETS.ollama.baseUrl, 1500)).length > 0) preset = PRESETS.ollama;
  if (!preset) {
    throw new FatalError(
      [
        'No vision model is configured.',
        '  Free: create a key at https://openrouter.ai/keys, then `export OPENROUTER_API_KEY=…`',
        '  Local: install Ollama, `ollama pull qwen2.5vl` and keep `ollama serve` running (phototag finds it).',
        '  Any OpenAI-compatible server: --provider openai --base-url URL (key in PHOTOTAG_API_KEY).',
      ].join('\n'),
    );
  }
  const apiKey = apiKeyFor(preset, env, config.apiKey);
  const baseUrl = (config.baseUrl ?? preset.baseUrl).replace(/\/+$/u, '');
  if (preset.needsKey && !apiKey && !config.baseUrl) {
    throw new FatalError(`Provider ${preset.name} needs an API key: set PHOTOTAG_API_KEY or ${preset.keyEnv}.`);
  }
  const model = config.model === 'auto' && preset.defaultModel !== 'auto' && !config.baseUrl ? preset.defaultModel : config.model;
  return { preset, baseUrl, apiKey, model, rpm: config.rpm ?? preset.defaultRpm ?? 0 };
}

export interface CatalogueOptions {
  /** Read `/models` even if the cached list is fresh. */
  refresh?: boolean;
  timeoutMs?: number;
  /** How old a cached list may be before it is read again (`modelListHours`). */
  maxAgeMs?: number;
  /**
   * `/models` failed but an older list is cached: use it and say so here. Without this callback the failure
   * stands (`phototag models --refresh` must show it).
   */
  onStale?: (message: string) => void;
}

/** The models to try, in order. A fixed model is the only candidate; `auto` asks the provider. */
export async function resolveCandidates(
  provider: ResolvedProvider,
  store?: Store,
  options: CatalogueOptions = {},
): Promise<{ candidates: CatalogueModel[]; catalogue: CatalogueModel[] }> {
  const listOptions = { ...options, timeoutMs: Math.min(options.timeoutMs ?? 15_000, 15_000) };
  if (provider.model !== 'auto') {
    // Only prices come from the list here: a slow or broken /models must not hold the run up.
    const catalogue = await catalogueFor(provider, store, listOptions).catch(() => [] as CatalogueModel[]);
    const known = catalogue.find((model) => model.id === provider.model);
    return { candidates: [known ?? fixedModel(provider.model)], catalogue };
  }
  if (provider.preset.name === 'ollama') {
    const ids = await ollamaVisionModels(provider.baseUrl, 5000);
    if (ids.length === 0)
      throw new FatalError(`Ollama at ${provider.baseUrl} offers no vision model: \`ollama pull qwen2.5vl\`, or name one with --model.`);
    const models = ids.map(fixedModel);
    return { candidates: models, catalogue: models };
  }
  const catalogue = await catalogueFor(provider, store, listOptions);
  const vision = freeVisionCandidates(catalogue, store?.cache.provenModels() ?? []);
  const candidates =
    provider.preset.name === 'openrouter' ? vision : catalogue.filter((m) => m.vision).concat(vision.length ? [] : catalogue.slice(0, 1));
  if (candidates.length === 0) {
    throw new FatalError(`${provider.baseUrl}/models lists no free vision model; name one with --model (see \`phototag models\`).`);
  }
  return { candidates, catalogue };
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
  return { id, vision: true, free: false, promptPrice: 0, completionPrice: 0, structuredOutput: true, contextLength: 0 };
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
