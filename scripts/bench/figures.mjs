// The bench's figures with the previous run's beside them: kept in scripts/bench-results.json (committed),
// read before a run and overwritten after it, with the machine each run was measured on.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bench-results.json');

export function loadPrevious(file = RESULTS_FILE) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined; // the first run: no previous values
  }
}

/** What the figures depend on besides the code: the machine, how busy it was, Node, the HEIC decoder. */
export function machineInfo({ heifDecoder, gnuTime }) {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
    heifDecoder: heifDecoder ? path.basename(heifDecoder) : null,
    gnuTime,
  };
}

/** One line saying on what machine, for the README. */
export function describeMachine(m) {
  const load = (l) => l.map((x) => x.toFixed(2)).join(', ');
  const heif = m.heifDecoder ? `native HEIC decoder (${m.heifDecoder})` : 'no native HEIC decoder (WebAssembly)';
  return (
    `${m.date.slice(0, 10)} on ${m.cores} × ${m.cpu}, ${m.memoryGb} GB, ${m.os}, Node ${m.node}, ${heif}; ` +
    `load average ${load(m.loadAverageAtStart)} at the start` +
    (m.loadAverageAtEnd ? `, ${load(m.loadAverageAtEnd)} at the end (${Math.round(m.durationS)} s)` : '')
  );
}

export class Figures {
  constructor(previous) {
    this.previous = previous?.figures ?? {};
    this.current = {};
  }

  /** Record figure `id` (a number to compare, and its text); returns its README cell. */
  put(id, value, text) {
    this.current[id] = { value: Number.isFinite(value) ? Number(value.toPrecision(4)) : null, text };
    return this.cell(id);
  }

  /** The figure's text with the previous run's beside it. */
  cell(id) {
    const now = this.current[id];
    if (!now) return '—';
    const before = this.previous[id];
    return `${now.text} (was ${before ? before.text : '—'})`;
  }
}

/** Overwrite the results file with this run's machine, figures and raw measurements, formatted as Prettier would. */
export async function saveResults(machine, figures, raw, file = RESULTS_FILE) {
  const prettier = await import('prettier');
  const json = JSON.stringify({ machine, figures: figures.current, raw }, null, 2);
  const options = (await prettier.resolveConfig(file)) ?? {};
  fs.writeFileSync(file, await prettier.format(json, { ...options, filepath: file }));
}
