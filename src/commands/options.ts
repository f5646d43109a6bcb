import { InvalidArgumentError, Option, type Command } from 'commander';
import { splitList } from '../core/text.js';
import { PROVIDERS } from '../core/config/providers.js';
import type { ConfigInput } from '../core/config/schema.js';
import { PROFILES, type ProfileName } from '../core/profiles.js';

export function integer(name: string, min: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!/^\s*\d+\s*$/u.test(value) || number < min)
      throw new InvalidArgumentError(`${name} takes a whole number ≥ ${min}; got "${value}" (string)`);
    return number;
  };
}

/** For repeatable options: `--include a --include b` → ["a", "b"]. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function number(name: string, min: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isFinite(parsed) || parsed < min)
      throw new InvalidArgumentError(`${name} takes a number ≥ ${min}; got "${value}" (string)`);
    return parsed;
  };
}

/** `--config` after the command name too (`phototag serve --config x.yml`), not only before it. */
export function addConfigOption(command: Command): Command {
  return command.option('-c, --config <file>', 'config file (default: searched from the current folder up)');
}

/** The provider and model flags shared by every command that calls a model. */
export function addProviderOptions(command: Command): Command {
  return addConfigOption(command)
    .addOption(new Option('--provider <name>', 'vision provider').choices(PROVIDERS))
    .option('--base-url <url>', 'OpenAI-compatible server URL, e.g. http://localhost:11434/v1')
    .option('--model <id>', 'model id, or "auto" for the best free vision model (default: auto)')
    .option('--allow-paid', 'let --model auto choose a paid model where no free one is offered (config: model.allowPaid)')
    .option('--data-dir <dir>', 'where the database lives (default: the platform data folder)');
}

/** The options of `tag` (and later `scan`) that change how photos are tagged. */
export function addTagOptions(command: Command): Command {
  return addProviderOptions(command)
    .option('--lang <codes>', 'languages, the first is primary: en, ru or en,ru (default: en)')
    .option('--max-keywords <n>', 'keywords per language (default: 30)', integer('--max-keywords', 1))
    .option('--concurrency <n>', 'model calls at once; photos are read and written beside them (default: 2)', integer('--concurrency', 1))
    .option('--rpm <n>', 'model requests per minute, 0 = unlimited (default: 20 on OpenRouter)', number('--rpm', 0))
    .option('--timeout <seconds>', 'seconds to wait for one model answer (default: 120)', number('--timeout', 1))
    .option('--max-attempts <n>', 'tries per photo for transient failures: 429, 5xx, timeouts (default: 3)', integer('--max-attempts', 1))
    .option('--sidecar', 'write XMP sidecars for every format instead of touching the files')
    .addOption(new Option('--sidecar-name <style>', 'sidecar naming: base = photo.xmp, ext = photo.CR2.xmp').choices(['base', 'ext']))
    .option('--overwrite', 'replace titles, descriptions and keywords a person already wrote')
    .option('--force', 'tag photos again that are already tagged or recorded as done')
    .option('--backup', "keep ExifTool's photo.jpg_original copy of each photo written")
    .option('--update-mtime', 'give each photo written a new modification time (default: keep it; photo managers sort by it)')
    .addOption(new Option('--profile <name>', "enforce a stock agency's rules (default: generic)").choices(PROFILES))
    .option('--hint <text>', 'what you know about these photos, passed to the model as context ("Lisbon, tram 28")')
    .option('--geocode', "tell the model the place from each photo's GPS (offline lookup, no network)")
    .option('--dry-run', 'analyze and show what would be written, write nothing')
    .option('--export <file>', 'also write the proposals as a review CSV (edit it, then `phototag apply FILE`)')
    .option('--json', 'print one JSON object per photo (NDJSON) and nothing else on stdout');
}

export interface TagFlags {
  provider?: ConfigInput['provider'];
  baseUrl?: string;
  model?: string;
  allowPaid?: boolean;
  dataDir?: string;
  lang?: string;
  maxKeywords?: number;
  concurrency?: number;
  rpm?: number;
  timeout?: number;
  maxAttempts?: number;
  sidecar?: boolean;
  sidecarName?: 'base' | 'ext';
  overwrite?: boolean;
  force?: boolean;
  backup?: boolean;
  updateMtime?: boolean;
  dryRun?: boolean;
  json?: boolean;
  profile?: ProfileName;
  hint?: string;
  geocode?: boolean;
  export?: string;
}

/** Command-line flags as config values (undefined = not given, so lower layers decide). */
export function flagsToConfig(flags: TagFlags): Partial<ConfigInput> {
  return {
    provider: flags.provider,
    baseUrl: flags.baseUrl,
    model: modelFlags(flags),
    dataDir: flags.dataDir,
    languages: flags.lang === undefined ? undefined : splitList(flags.lang),
    maxKeywords: flags.maxKeywords,
    concurrency: flags.concurrency,
    rpm: flags.rpm,
    timeoutSeconds: flags.timeout,
    maxAttempts: flags.maxAttempts,
    sidecar: flags.sidecar,
    sidecarName: flags.sidecarName,
    overwrite: flags.overwrite,
    force: flags.force,
    backup: flags.backup,
    updateMtime: flags.updateMtime,
    profile: flags.profile,
    geocode: flags.geocode,
  };
}

/** `--model` and `--allow-paid` set keys of the `model` group (undefined when neither is given). */
function modelFlags(flags: TagFlags): ConfigInput['model'] {
  const model = Object.fromEntries(
    Object.entries({ id: flags.model, allowPaid: flags.allowPaid }).filter(([, value]) => value !== undefined),
  );
  return Object.keys(model).length > 0 ? model : undefined;
}
