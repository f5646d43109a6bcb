import type { z } from 'zod';
import { configSchema } from './schema.js';

/**
 * The one place that knows which config values are secret: the keys the schema marks `.meta({ secret: true })`,
 * found by walking it. `phototag config`, backups and the daemon's logs all go through here.
 */
export const SECRET_PATHS: readonly (readonly string[])[] = findSecrets(configSchema, []);

/** Environment variables that carry secrets (their values are redacted from logs). */
export const SECRET_ENV = ['PHOTOTAG_API_KEY', 'OPENROUTER_API_KEY', 'OPENAI_API_KEY', 'TELEGRAM_BOT_TOKEN'] as const;

const MASK = '********';

/** The config for printing: every secret that is set shows as a mask. */
export function maskSecrets<T extends object>(config: T): T {
  return mapSecrets(config, (group, key) => {
    if (group[key] !== undefined) group[key] = MASK;
  });
}

/** The config for a backup: the secret keys are gone, every other key stays as it is. */
export function withoutSecrets<T extends object>(config: T): T {
  return mapSecrets(config, (group, key) => {
    delete group[key];
  });
}

/** Every secret value in the config and the environment, for the logger to redact. */
export function secretValues(config: object, env: NodeJS.ProcessEnv = process.env): string[] {
  const values: string[] = [];
  for (const secretPath of SECRET_PATHS) {
    const value = valueAt(config, secretPath);
    if (typeof value === 'string' && value) values.push(value);
  }
  for (const name of SECRET_ENV) if (env[name]) values.push(env[name]);
  return values;
}

/** A copy of `config` (groups copied too, never mutated) with `change` applied at each secret's place. */
function mapSecrets<T extends object>(config: T, change: (group: Record<string, unknown>, key: string) => void): T {
  const copy = { ...config } as Record<string, unknown>;
  for (const secretPath of SECRET_PATHS) {
    let group = copy;
    for (const part of secretPath.slice(0, -1)) {
      const inner = group[part];
      if (!inner || typeof inner !== 'object' || Array.isArray(inner)) {
        group = {};
        break;
      }
      group[part] = { ...(inner as Record<string, unknown>) };
      group = group[part] as Record<string, unknown>;
    }
    change(group, secretPath[secretPath.length - 1]!);
  }
  return copy as T;
}

function valueAt(config: object, secretPath: readonly string[]): unknown {
  let value: unknown = config;
  for (const part of secretPath) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}

function findSecrets(schema: z.ZodType, at: string[]): string[][] {
  if ((schema.meta() as { secret?: boolean } | undefined)?.secret) return [at];
  const inner = unwrap(schema);
  if (!inner) return [];
  return Object.entries(inner.shape).flatMap(([key, child]) => findSecrets(child as z.ZodType, [...at, key]));
}

/** The object inside optional/default/prefault wrappers, if the schema is one. */
function unwrap(schema: z.ZodType): z.ZodObject | undefined {
  let current: unknown = schema;
  for (let depth = 0; depth < 8 && current; depth++) {
    const def = (current as { def?: { type?: string; innerType?: unknown } }).def;
    if (def?.type === 'object') return current as z.ZodObject;
    current = def?.innerType;
  }
  return undefined;
}
