/** One sample of a Prometheus text exposition: `value(text, 'phototag_photos_total', { status: 'done' })` (undefined: no such series). */
export function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/u.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/gu)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, wanted]) => have[key] === wanted)) return Number(match[3]);
  }
  return undefined;
}

/** Every metric family a scrape declares (`# TYPE name type`), with its type. */
export function families(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gmu)) found.set(match[1]!, match[2]!);
  return found;
}

/** Every label value in a scrape, for cardinality checks (no paths, file names or user ids). */
export function labelValues(text: string): string[] {
  return [...text.matchAll(/\w+="((?:[^"\\]|\\.)*)"/gu)].map((m) => m[1]!);
}
