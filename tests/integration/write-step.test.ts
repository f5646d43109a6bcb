import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { MetadataTool, type RawTags } from '../../src/core/exiftool.js';
import { formatOf } from '../../src/core/formats.js';
import { firstState, writeChecked } from '../../src/core/write-step.js';
import { closeTestExifTool, copyCorpus, list, readTags, tempDir, testExifTool } from '../support/corpus.js';

const dirs: string[] = [];
afterAll(async () => {
  await closeTestExifTool();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** The real ExifTool adapter; `during` runs once, after the checked copy is written and before it replaces the photo. */
class ToolWithNeighbour extends MetadataTool {
  constructor(private during?: () => Promise<void>) {
    super(1);
  }

  override async write(file: string, tags: RawTags, options: Parameters<MetadataTool['write']>[2]): Promise<string[]> {
    const warnings = await super.write(file, tags, options);
    const during = this.during;
    this.during = undefined;
    await during?.();
    return warnings;
  }
}

const result = { en: { title: 'Lake at dawn', description: 'A calm lake at dawn.', keywords: ['lake', 'dawn'] } };

describe('the last check before a written copy replaces the photo', () => {
  it('sees an edit made while ExifTool was writing, plans again and keeps it', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const [photo] = copyCorpus(dir, ['jpeg/nikon-d5000.jpg']);
    const tool = new ToolWithNeighbour(() =>
      testExifTool().write(photo!, {}, { writeArgs: ['-XMP-dc:Title=Her own title', '-XMP-dc:Subject+=grandma', '-overwrite_original'] }),
    );
    try {
      const stat = fs.statSync(photo!);
      const meta = await tool.read(photo!);
      const where = { file: photo!, useSidecar: false, sidecarName: 'base' as const };
      const state = await firstState(where, stat, meta.tags, tool);
      const step = await writeChecked(
        result,
        state,
        where,
        { file: photo!, format: formatOf(meta.fileType)!, languages: ['en'], overwrite: false, keepOriginal: false },
        tool,
      );
      expect(step.status).toBe('written');
    } finally {
      await tool.close();
    }
    const tags = await readTags(photo!);
    expect(tags['XMP-dc:Title']).toBe('Her own title');
    expect(list(tags['XMP-dc:Subject'])).toEqual(['grandma', 'lake', 'dawn']);
    expect(tags['XMP-dc:Description']).toBe('A calm lake at dawn.');
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('.'))).toEqual([]);
  });
});
