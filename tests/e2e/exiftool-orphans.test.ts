import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/core/process-identity.js';
import { copyCorpus, ROOT, tempDir } from '../support/corpus.js';
import { childrenOf } from '../support/processes.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;
beforeAll(async () => {
  fake = await startFakeOpenAI({ latencyMs: 400 });
  dir = tempDir('phototag-orphans-');
});
afterAll(async () => {
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const exists = (pid: number) => fs.existsSync(`/proc/${pid}`);

describe('ExifTool exits with phototag', () => {
  it('kill -9 of a scan mid-run leaves no ExifTool process behind', async () => {
    const root = path.join(dir, 'photos');
    fs.mkdirSync(root);
    copyCorpus(root, ['jpeg/htc-desire-gps.jpg', 'jpeg/nikon-d5000.jpg', 'jpeg/olympus-pen-e-p3.jpg', 'jpeg/fujifilm-finepix2650.jpg']);
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'bin/phototag.js'),
        'scan',
        '--provider',
        'openai',
        '--base-url',
        fake.url,
        '--model',
        'fake/vision',
        '--json',
        root,
      ],
      {
        // No launcher in front (tests/e2e/relaunch.test.ts kills that one): the process killed is ExifTool's parent.
        env: {
          PATH: process.env.PATH ?? '',
          HOME: dir,
          PHOTOTAG_DATA_DIR: path.join(dir, 'data'),
          PHOTOTAG_API_KEY: 'sk-orphans',
          PHOTOTAG_NO_RELAUNCH: '1',
        },
      },
    );
    const closed = new Promise((resolve) => child.on('close', resolve));
    let tools: { pid: number; cmd: string }[] = [];
    const started = Date.now();
    while (Date.now() - started < 30_000) {
      tools = childrenOf(child.pid!).filter((p) => p.cmd.includes('exiftool'));
      if (tools.length > 0 && fake.state.calls.length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(tools.length).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await closed;
    const deadline = Date.now() + 10_000;
    while (tools.some((t) => exists(t.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(tools.filter((t) => exists(t.pid))).toEqual([]);
  }, 60_000);
});

describe('a killed run that is still a zombie', () => {
  it('counts as dead', async () => {
    // `sh` starts a short child, then becomes `sleep`, which never reaps it: a zombie for a few seconds.
    const holder = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5']);
    const pid = await new Promise<number>((resolve) => holder.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
    try {
      const deadline = Date.now() + 5000;
      while (!fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')).toContain(') Z ');
      expect(isAlive({ host: os.hostname(), pid, startTime: '' })).toBe(false);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
