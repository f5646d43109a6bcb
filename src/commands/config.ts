import { loadConfig } from '../core/config/load.js';
import { GROUPS } from '../core/config/layers.js';
import { maskSecrets } from '../core/config/secrets.js';
import { dataDirOf } from '../core/data-dir.js';

export async function runConfig(flags: { config?: string; json?: boolean }): Promise<void> {
  const loaded = await loadConfig({ configFile: flags.config });
  const shown = { ...maskSecrets(loaded.config), dataDir: dataDirOf(loaded.config) };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ source: loaded.source ?? null, config: shown, origins: loaded.origins }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`# loaded from: ${loaded.source ?? '(no config file: defaults and environment)'}\n`);
  const line = (key: string, value: unknown) =>
    process.stdout.write(`${key}: ${JSON.stringify(value) ?? '(not set)'}  # ${loaded.origins[key] ?? 'default'}\n`);
  for (const [key, value] of Object.entries(shown)) {
    // A group's keys one per line, each with its own origin (`model.id` from a flag, `model.temperature` from the file).
    if ((GROUPS as readonly string[]).includes(key) && value && typeof value === 'object' && !Array.isArray(value))
      for (const [inner, innerValue] of Object.entries(value)) line(`${key}.${inner}`, innerValue);
    else line(key, value);
  }
}
