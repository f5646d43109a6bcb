// Nothing but the reporter writes to stdout: libheif prints its complaints about a broken HEIC with printf
// (file descriptor 1, below any JavaScript console), which used to land in the middle of `--json` output.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyCorpus, ROOT, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';

const BIN = path.join(ROOT, 'bin', 'phototag.js');
type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dir = tempDir('phototag-stdout-');
});
afterAll(async () => {
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function phototag(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, PHOTOTAG_DATA_DIR: path.join(dir, 'data') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('phototag tag --json with a broken HEIC (built CLI)', () => {
  it("prints only JSON lines on stdout; the decoder complaint becomes the photo's one-line reason", async () => {
    const [broken, jpeg] = copyCorpus(dir, ['broken/heic-corrupt-exif-invalid-gps.heic', 'jpeg/nikon-d5000.jpg']);
    // OpenJPEG (WASM) logs "[INFO] Start to read j2k main header" through its print hooks.
    const jp2 = path.join(dir, 'scan.jp2');
    execFileSync('convert', ['-size', '64x48', 'xc:skyblue', jp2]);
    // --sidecar: ExifTool cannot write into the broken file, so only a sidecar run reaches the decoder.
    const run = await phototag([
      'tag',
      '--provider',
      'openai',
      '--base-url',
      fake.url,
      '--model',
      'fake/vision',
      '--rpm',
      '0',
      '--sidecar',
      '--json',
      broken!,
      jpeg!,
      jp2,
    ]);
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n').filter((line) => line !== '');
    for (const line of lines) expect(() => JSON.parse(line), `not JSON on stdout: ${line}`).not.toThrow();
    const byFile = Object.fromEntries(lines.map((line) => JSON.parse(line)).map((o) => [o.file, o]));
    expect(Object.keys(byFile).sort()).toEqual([broken, jpeg, jp2].sort());
    expect(byFile[jp2]).toMatchObject({ status: 'done', title: 'Photo 64x48' });
    expect(byFile[broken!]).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^cannot decode HEIF image: Could not parse HEIF file[^\n]*$/u),
    });
    expect(byFile[jpeg!]).toMatchObject({ status: 'done' });
    expect(run.stderr).not.toMatch(/Could not parse HEIF/u);
  });
});
