/** Provider names; kept free of zod so the CLI can list them without loading the validator. */
export const PROVIDERS = ['openrouter', 'openai', 'ollama', 'lmstudio'] as const;
export type ProviderName = (typeof PROVIDERS)[number];
