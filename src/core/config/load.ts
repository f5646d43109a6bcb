import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { configSchema, type Config, type ConfigInput } from './schema.js';
import { describeIssue } from './describe.js';
import { mergeLayers, normalizeLayer, originsOf, type Origin } from './layers.js';
import { splitList } from '../text.js';

export interface LoadedConfig {
  config: Config;
  /** The file the values came from, if any. */
  source?: string;
  /** Which layer set each key that is not a default: 'flag', 'env', 'file'; keys inside groups dotted (`model.id`). */
  origins: Record<string, Origin>;
}

export interface LoadOptions {
  /** --config FILE, else PHOTOTAG_CONFIG; otherwise cosmiconfig searches from `cwd` up, then the home folder. */
  configFile?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags (undefined = not given). */
  flags?: Partial<ConfigInput>;
}

/** Environment variables that set config keys; README documents each one. */
const ENV_KEYS: Record<string, keyof ConfigInput> = {
  PHOTOTAG_PROVIDER: 'provider',
  PHOTOTAG_BASE_URL: 'baseUrl',
  PHOTOTAG_MODEL: 'model',
  PHOTOTAG_LANG: 'languages',
  PHOTOTAG_CONCURRENCY: 'concurrency',
  PHOTOTAG_RPM: 'rpm',
  PHOTOTAG_DATA_DIR: 'dataDir',
};

/** Flags over environment over config file over defaults, validated as one object. */
export async function loadConfig(options: LoadOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const named = options.configFile
    ? { file: options.configFile, via: '--config' }
    : env.PHOTOTAG_CONFIG
      ? { file: env.PHOTOTAG_CONFIG, via: 'PHOTOTAG_CONFIG' }
      : undefined;
  const file = await readConfigFile(named, options.cwd ?? process.cwd());
  if (file.source) resolvePaths(file.values, path.dirname(file.source));
  const fileValues = normalizeLayer(file.values, file.source ?? 'config');
  const fromEnv = normalizeLayer(envValues(env), 'environment');
  const fromFlags = normalizeLayer(definedOnly(options.flags ?? {}), 'command line');
  const origins = originsOf([
    ['file', fileValues],
    ['env', fromEnv],
    ['flag', fromFlags],
  ]);
  // A group such as `serve` or `model`: a flag such as --port or --model changes one key of it, not the whole group.
  const merged = mergeLayers([fileValues, fromEnv, fromFlags]);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = origins[String(issue.path[0])] ?? 'file';
    const place = where === 'file' ? (file.source ?? 'config') : where === 'env' ? 'environment' : 'command line';
    throw new ConfigError(`Invalid config (${place}): ${describeIssue(issue, merged)}`);
  }
  return { config: parsed.data, source: file.source, origins };
}

/** Paths in a config file are relative to the file, not to wherever phototag was started. */
function resolvePaths(values: Record<string, unknown>, base: string): void {
  const resolve = (value: unknown) => (typeof value === 'string' ? path.resolve(base, value) : value);
  if ('dataDir' in values) values.dataDir = resolve(values.dataDir);
  const folders = values.folderKeywords;
  if (folders && typeof folders === 'object' && !Array.isArray(folders))
    values.folderKeywords = Object.fromEntries(Object.entries(folders).map(([dir, words]) => [resolve(dir), words]));
  const serve = values.serve;
  if (!serve || typeof serve !== 'object' || Array.isArray(serve)) return;
  const group = serve as Record<string, unknown>;
  if (Array.isArray(group.watch)) group.watch = group.watch.map(resolve);
  for (const key of ['tokenFile', 'processedDir', 'failedDir']) if (key in group) group[key] = resolve(group[key]);
}

async function readConfigFile(
  named: { file: string; via: string } | undefined,
  cwd: string,
): Promise<{ values: Record<string, unknown>; source?: string }> {
  const { cosmiconfig } = await import('cosmiconfig');
  const explorer = cosmiconfig('phototag', {
    searchStrategy: 'global',
    searchPlaces: [
      'package.json',
      '.phototagrc',
      '.phototagrc.json',
      '.phototagrc.yaml',
      '.phototagrc.yml',
      '.phototagrc.js',
      '.phototagrc.mjs',
      'phototag.config.json',
      'phototag.config.yaml',
      'phototag.config.yml',
      'phototag.config.js',
      'phototag.config.mjs',
    ],
  });
  let result;
  try {
    if (named) result = await explorer.load(path.resolve(cwd, named.file));
    else {
      // The search stops at the home folder only when it starts inside it; a daemon or cron job started
      // elsewhere (brew services: /opt/homebrew/var, systemd: /) still finds ~/.phototagrc.
      const home = os.homedir();
      result = await explorer.search(cwd);
      if (!result && path.relative(home, cwd).startsWith('..')) result = await explorer.search(home);
    }
  } catch (error) {
    // One line: a YAML error's first line only says where ("YAML Error in FILE:"), its next says what.
    const lines = (error instanceof Error ? error.message : String(error))
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    const reason = lines[0]?.endsWith(':') && lines[1] ? `${lines[0]} ${lines[1]}` : (lines[0] ?? '');
    const which = named ? ` ${named.file}${named.via === 'PHOTOTAG_CONFIG' ? ' (PHOTOTAG_CONFIG)' : ''}` : '';
    throw new ConfigError(`Cannot read config${which}: ${reason}`);
  }
  if (!result || result.isEmpty) return { values: {}, source: result?.filepath };
  if (typeof result.config !== 'object' || result.config === null || Array.isArray(result.config)) {
    throw new ConfigError(`Invalid config (${result.filepath}): expected an object of settings, got ${typeof result.config}`);
  }
  return { values: result.config as Record<string, unknown>, source: result.filepath };
}

function envValues(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    values[key] = coerce(key, raw);
  }
  return values;
}

/** Environment values are strings; turn the ones that are lists or numbers into what the schema expects. */
function coerce(key: keyof ConfigInput, raw: string): unknown {
  if (key === 'languages') return splitList(raw);
  if (key === 'concurrency' || key === 'rpm') return /^\s*-?\d+(\.\d+)?\s*$/u.test(raw) ? Number(raw) : raw;
  return raw;
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
