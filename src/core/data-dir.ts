import type { Config } from './config/schema.js';
import { defaultDataDir } from './paths.js';
import { Store } from './store.js';

/** Where this config keeps its database (light: no ExifTool, sharp or model client is loaded). */
export function dataDirOf(config: Config, env: NodeJS.ProcessEnv = process.env): string {
  return config.dataDir ?? defaultDataDir(env);
}

/** `readonly` for commands that only read: they then work on a database this user may not write. */
export function openStore(config: Config, env: NodeJS.ProcessEnv = process.env, options: { readonly?: boolean } = {}): Store {
  return Store.inDataDir(dataDirOf(config, env), options);
}
