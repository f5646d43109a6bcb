import type { ProviderName } from '../config/schema.js';

export interface ProviderPreset {
  name: ProviderName;
  baseUrl: string;
  /** The provider's own key variable (PHOTOTAG_API_KEY always wins). */
  keyEnv?: string;
  needsKey: boolean;
  defaultModel: string;
  /** Requests per minute when the user sets none; undefined = unlimited. */
  defaultRpm?: number;
}

export const PRESETS: Record<ProviderName, ProviderPreset> = {
  openrouter: {
    name: 'openrouter',
    baseUrl: 'https://openrouter.ai/api/v1',
    keyEnv: 'OPENROUTER_API_KEY',
    needsKey: true,
    defaultModel: 'auto',
    defaultRpm: 20,
  },
  openai: { name: 'openai', baseUrl: 'https://api.openai.com/v1', keyEnv: 'OPENAI_API_KEY', needsKey: true, defaultModel: 'gpt-4o-mini' },
  ollama: { name: 'ollama', baseUrl: 'http://localhost:11434/v1', needsKey: false, defaultModel: 'auto' },
  lmstudio: { name: 'lmstudio', baseUrl: 'http://localhost:1234/v1', needsKey: false, defaultModel: 'auto' },
};

export function apiKeyFor(preset: ProviderPreset, env: NodeJS.ProcessEnv, configKey?: string): string | undefined {
  return env.PHOTOTAG_API_KEY || (preset.keyEnv ? env[preset.keyEnv] : undefined) || configKey || undefined;
}
