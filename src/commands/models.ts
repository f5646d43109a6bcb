import { loadConfig } from '../core/config/load.js';
import { FatalError } from '../core/errors.js';
import { openStore } from '../core/data-dir.js';
import { catalogueFor, resolveCandidates, resolveProvider } from '../core/vision/discovery.js';
import { flagsToConfig, type TagFlags } from './options.js';

export async function runModels(flags: TagFlags & { config?: string; all?: boolean; refresh?: boolean }): Promise<void> {
  const { config } = await loadConfig({ configFile: flags.config, flags: flagsToConfig(flags) });
  const provider = await resolveProvider(config, process.env, { listing: true });
  const store = openStore(config);
  try {
    const catalogue = await catalogueFor(provider, store, { refresh: flags.refresh, maxAgeMs: config.catalogue.refreshHours * 3_600_000 });
    // The list is shown even when `auto` would refuse to choose (OpenAI: every model is paid); the reason goes to stderr.
    let chosen: string | undefined;
    try {
      const resolved = await resolveCandidates(provider, store, { maxAgeMs: config.catalogue.refreshHours * 3_600_000 });
      chosen = resolved.candidates[0]?.id;
      if (resolved.notice) process.stderr.write(`phototag: ${resolved.notice}\n`);
    } catch (error) {
      if (!(error instanceof FatalError)) throw error;
      process.stderr.write(`phototag: ${error.message}\n`);
    }
    const listed = catalogue.filter((m) => flags.all || m.vision);
    listed.sort((a, b) => Number(b.id === chosen) - Number(a.id === chosen) || Number(b.free) - Number(a.free) || a.id.localeCompare(b.id));
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ provider: provider.preset.name, baseUrl: provider.baseUrl, chosen: chosen ?? null, models: listed }, null, 2)}\n`,
      );
      return;
    }
    process.stdout.write(
      `# ${provider.preset.name} at ${provider.baseUrl}: ${listed.length} ${flags.all ? '' : 'vision '}models, model=${provider.model}\n`,
    );
    for (const model of listed) {
      const marks = [
        model.id === chosen ? 'chosen' : '',
        model.free ? 'free' : `$${(model.promptPrice * 1e6).toFixed(2)}/$${(model.completionPrice * 1e6).toFixed(2)} per M tokens`,
      ].filter(Boolean);
      process.stdout.write(`${model.id === chosen ? '*' : ' '} ${model.id}  (${marks.join(', ')})\n`);
    }
  } finally {
    store.close();
  }
}
