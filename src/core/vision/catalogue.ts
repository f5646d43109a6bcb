/** A model offered by a provider, in phototag's own terms. */
export interface CatalogueModel {
  id: string;
  vision: boolean;
  free: boolean;
  /** The list states this model's prices (OpenRouter does; OpenAI, Ollama and LM Studio list ids only). */
  priced: boolean;
  /** USD per token. */
  promptPrice: number;
  completionPrice: number;
  /** The server accepts a JSON schema response format for this model. */
  structuredOutput: boolean;
  contextLength: number;
}

interface OpenRouterModel {
  id?: unknown;
  context_length?: unknown;
  architecture?: { input_modalities?: unknown; modality?: unknown };
  pricing?: { prompt?: unknown; completion?: unknown };
  supported_parameters?: unknown;
}

/** Read an OpenRouter-style `/models` list (other OpenAI-compatible servers give ids only). */
export function parseCatalogue(data: readonly unknown[]): CatalogueModel[] {
  const models: CatalogueModel[] = [];
  for (const item of data) {
    const model = item as OpenRouterModel;
    if (typeof model?.id !== 'string') continue;
    const inputs = Array.isArray(model.architecture?.input_modalities) ? (model.architecture.input_modalities as unknown[]) : [];
    const modality = typeof model.architecture?.modality === 'string' ? model.architecture.modality : '';
    const promptPrice = price(model.pricing?.prompt);
    const completionPrice = price(model.pricing?.completion);
    const params = Array.isArray(model.supported_parameters) ? (model.supported_parameters as unknown[]) : [];
    models.push({
      id: model.id,
      vision: inputs.includes('image') || /image.*->/u.test(modality),
      free: promptPrice === 0 && completionPrice === 0,
      priced: Number.isFinite(promptPrice) && Number.isFinite(completionPrice),
      promptPrice: promptPrice || 0,
      completionPrice: completionPrice || 0,
      structuredOutput: params.includes('structured_outputs') || params.includes('response_format'),
      contextLength: typeof model.context_length === 'number' ? model.context_length : 0,
    });
  }
  return models;
}

/** Free vision models, the ones that answered well before first, then the largest context. */
export function freeVisionCandidates(models: readonly CatalogueModel[], proven: readonly string[]): CatalogueModel[] {
  const rank = (id: string) => {
    const index = proven.indexOf(id);
    return index === -1 ? Number.MAX_SAFE_INTEGER : index;
  };
  return models
    .filter((model) => model.vision && model.free)
    .sort((a, b) => rank(a.id) - rank(b.id) || b.contextLength - a.contextLength || a.id.localeCompare(b.id));
}

/** Paid vision models, cheapest first (for `model.allowPaid` when no free one is listed). */
export function paidVisionCandidates(models: readonly CatalogueModel[]): CatalogueModel[] {
  return models
    .filter((model) => model.vision && model.priced && !model.free)
    .sort((a, b) => a.promptPrice + a.completionPrice - (b.promptPrice + b.completionPrice) || a.id.localeCompare(b.id));
}

/** USD per token; NaN when the catalogue states no price (such a model never counts as free). */
function price(value: unknown): number {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(number) ? Math.max(0, number) : NaN;
}
