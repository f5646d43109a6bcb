import { loadConfig } from '../core/config/load.js';
import { openStore } from '../core/data-dir.js';
import { ExitCode } from '../core/errors.js';
import { escapeControls } from '../core/escape.js';
import { MetadataTool } from '../core/exiftool.js';
import { list } from '../core/existing.js';
import { showPhoto, type ShownPhoto, type ShownWrite } from '../core/show.js';
import { commandExitCode } from './exit-code.js';

/** `phototag show <files…>`: what phototag wrote into each photo, what was there before, what changed since. */
export async function runShow(files: string[], flags: { config?: string; dataDir?: string; json?: boolean }): Promise<void> {
  const { config } = await loadConfig({ configFile: flags.config, flags: { dataDir: flags.dataDir } });
  const store = openStore(config);
  const tool = new MetadataTool(1);
  let unknown = 0;
  try {
    for (const file of files) {
      const shown = await showPhoto(file, store, tool);
      if (!shown.exists && shown.writes.length === 0) unknown++;
      process.stdout.write(flags.json ? `${JSON.stringify(shown)}\n` : `${showText(shown)}\n`);
    }
  } finally {
    await tool.close();
    store.close();
  }
  commandExitCode.value = unknown > 0 ? ExitCode.failed : ExitCode.ok;
}

export function showText(photo: ShownPhoto): string {
  const lines = [escapeControls(photo.file)];
  if (!photo.exists) lines.push('  (no such file now)');
  if (photo.writes.length === 0) lines.push('  phototag has recorded no write to this photo');
  for (const write of photo.writes) lines.push(...writeLines(write, photo.file));
  if (photo.now) {
    lines.push(`  now${photo.now.target === photo.file ? '' : ` (in ${escapeControls(photo.now.target)})`}:`);
    lines.push(`    title        ${quoted(photo.now.title)}`);
    lines.push(`    description  ${quoted(photo.now.description)}`);
    lines.push(`    keywords     ${photo.now.keywords.length ? escapeControls(photo.now.keywords.join(', ')) : '(none)'}`);
  }
  return lines.join('\n');
}

const KIND: Record<ShownWrite['kind'], string> = {
  tag: 'tagged',
  apply: 'applied from a review CSV',
  edit: 'edited in Telegram',
  undo: 'undo',
};

function writeLines(write: ShownWrite, photo: string): string[] {
  const head = [
    `#${write.id} ${KIND[write.kind]}`,
    new Date(write.at).toISOString().replace('T', ' ').slice(0, 19) + ' UTC',
    write.runId !== undefined ? `run ${write.runId}` : undefined,
    write.kind === 'tag' && write.model ? `${write.model}${write.provider ? ` (${write.provider})` : ''}` : undefined,
    write.kind === 'tag' ? `${write.tokens ?? 0} tokens, $${(write.cost ?? 0).toFixed(4)}` : undefined,
    write.target === photo
      ? 'in the file'
      : write.created
        ? `new sidecar ${escapeControls(write.target)}`
        : `sidecar ${escapeControls(write.target)}`,
    write.state === 'undone'
      ? `undone by #${write.undoneBy}`
      : write.state === 'pending'
        ? 'not confirmed (phototag stopped mid-write)'
        : undefined,
    write.undoes !== undefined ? `undid #${write.undoes}` : undefined,
  ].filter(Boolean);
  const lines = [`  ${head.join(' · ')}`];
  for (const lang of write.languages ?? []) {
    const text = write.result?.[lang];
    if (!text) continue;
    lines.push(`    ${lang}  title        ${quoted(text.title)}`);
    lines.push(`        description  ${quoted(text.description)}`);
    lines.push(`        keywords     ${escapeControls(text.keywords.join(', '))}`);
  }
  const width = Math.max(...write.fields.map((f) => f.tag.length), 0);
  for (const field of write.fields) {
    let line = `    ${field.tag.padEnd(width)}  before: ${value(field.before)}  →  ${value(field.written)}`;
    if (field.changedSince) line += `  · changed since, now: ${value(field.now)}`;
    else if (field.rewrittenBy !== undefined && write.state !== 'undone') line += `  · rewritten by #${field.rewrittenBy}`;
    lines.push(line);
  }
  return lines;
}

function value(v: unknown): string {
  const items = list(v);
  if (items.length === 0) return '(absent)';
  const text = items.length === 1 && !Array.isArray(v) ? `"${items[0]}"` : `[${items.join(', ')}]`;
  return escapeControls(text.length > 120 ? `${text.slice(0, 117)}…` : text);
}

function quoted(text: string | undefined): string {
  return text === undefined ? '(none)' : escapeControls(`"${text}"`);
}
