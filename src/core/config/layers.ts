import { ConfigError } from '../errors.js';

export type Origin = 'flag' | 'env' | 'file';

/** Groups of keys: a higher layer sets them one by one (`--port` changes `serve.port`, `--model` changes `model.id`). */
export const GROUPS = ['serve', 'telegram', 'model', 'prompt', 'catalogue'] as const;

/** Keys that moved, old name → [group, key]. The old name keeps working; setting both is an error. */
const RENAMED: Record<string, [string, string]> = { modelListHours: ['catalogue', 'refreshHours'] };

/**
 * One layer (file, environment or flags) in today's shape: `model: ID` becomes `model: {id: ID}` and a renamed
 * key moves to its new place. `place` names the layer in an error.
 */
export function normalizeLayer(values: Record<string, unknown>, place: string): Record<string, unknown> {
  const out = { ...values };
  if (typeof out.model === 'string') out.model = { id: out.model };
  for (const [old, [group, key]] of Object.entries(RENAMED)) {
    if (!(old in out)) continue;
    const target = out[group] === undefined ? {} : out[group];
    if (!isGroup(target)) continue; // the schema names the bad group
    if (key in target)
      throw new ConfigError(
        `Invalid config (${place}): "${old}" and "${group}.${key}" are both set; ${old} is the old name of ${group}.${key}: keep only ${group}.${key}`,
      );
    out[group] = { ...target, [key]: out[old] };
    delete out[old];
  }
  return out;
}

/** Lower layers first. A group given in two layers is merged key by key; anything else, the higher layer wins. */
export function mergeLayers(layers: readonly Record<string, unknown>[]): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      const below = merged[key];
      merged[key] = (GROUPS as readonly string[]).includes(key) && isGroup(below) && isGroup(value) ? { ...below, ...value } : value;
    }
  }
  return merged;
}

/** Which layer set each key, top-level (`model`) and, inside groups, dotted (`model.id`). Lower layers first. */
export function originsOf(layers: readonly [Origin, Record<string, unknown>][]): Record<string, Origin> {
  const origins: Record<string, Origin> = {};
  for (const [origin, values] of layers) {
    for (const [key, value] of Object.entries(values)) {
      origins[key] = origin;
      if ((GROUPS as readonly string[]).includes(key) && isGroup(value))
        for (const inner of Object.keys(value)) origins[`${key}.${inner}`] = origin;
    }
  }
  return origins;
}

function isGroup(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
