import { createElement } from 'react';
import { loadConfig } from '../core/config/load.js';
import { openStore } from '../core/data-dir.js';
import { computeStats } from '../core/stats.js';
import { parseSince } from './since.js';
import { sectionText, statsSections } from '../ui/stats-format.js';

export interface StatsFlags {
  config?: string;
  dataDir?: string;
  since?: string;
  until?: string;
  days?: number;
  json?: boolean;
}

/** `phototag stats`: only reads the database. */
export async function runStats(flags: StatsFlags): Promise<void> {
  const { config } = await loadConfig({ configFile: flags.config, flags: { dataDir: flags.dataDir } });
  const store = openStore(config, process.env, { readonly: true });
  let stats;
  try {
    stats = computeStats(store, {
      since: flags.since ? parseSince(flags.since) : undefined,
      until: flags.until ? parseSince(flags.until) : undefined,
      days: flags.days,
    });
  } finally {
    store.close();
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
    return;
  }
  const sections = statsSections(stats);
  if (process.stdout.isTTY && !process.env.CI) {
    const ink = await import('ink');
    const { makeStatsView } = await import('../ui/StatsView.js');
    // A 0×0 pseudo-terminal reports no width: lay out for 80 columns, not one character per line.
    if (!(process.stdout.columns > 0)) process.stdout.columns = 80;
    // One column short of the width: a line that fills the last column makes some terminals wrap.
    const columns = process.stdout.columns - 1;
    const app = ink.render(createElement(makeStatsView(ink), { sections, columns }));
    app.unmount();
    await app.waitUntilExit();
    return;
  }
  process.stdout.write(`${sections.map(sectionText).join('\n\n')}\n`);
}
