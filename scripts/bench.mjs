#!/usr/bin/env node
// npm run bench: local overhead per photo, bytes and calls per photo, peak RSS and --help start-up,
// against the fake model server with a fixed latency. Writes the figures into README.md.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS = path.resolve(ROOT, '../shared/corpus');
const LATENCY_MS = 300;
const COPIES = 8;
const LARGE_JPEGS = ['jpeg/apple-iphone6-gps-3264x2448.jpg', 'jpeg/canon-eos1000d-orientation6-3888x2592.jpg'];

const { loadConfig } = await import(path.join(ROOT, 'dist/core/config/load.js'));
const { openSession } = await import(path.join(ROOT, 'dist/core/session.js'));

/** The same pixels with a distinct JPEG comment segment: distinct content, so no copy is a cache hit. */
function withComment(jpeg, text) {
  const body = Buffer.from(text, 'utf8');
  const segment = Buffer.alloc(4 + body.length);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(body.length + 2, 2);
  body.copy(segment, 4);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

/** The fake model server in a process of its own, so its parsing and base64 decoding are not counted as ours. */
async function startFakeProcess(latencyMs) {
  const child = spawn(process.execPath, [path.join(ROOT, 'tests/support/fake-openai.mjs'), String(latencyMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(child.stdout, 'data');
  const url = String(line).trim();
  return {
    url,
    calls: async () => (await (await fetch(new URL('/_state', url))).json()).calls,
    close: () => child.kill(),
  };
}

async function tagRun(warm, files, dataDir, fake, concurrency) {
  const { config } = await loadConfig({ cwd: dataDir, env: {}, flags: { provider: 'openai', baseUrl: fake.url, model: 'fake/vision', rpm: 0, concurrency, dataDir, languages: ['en', 'ru'] } });
  const session = await openSession(config, { dryRun: false, source: 'cli', env: { PHOTOTAG_API_KEY: 'bench' } });
  // Steady state: ExifTool's start-up (~250 ms, once per run) and sharp's first load happen on a warm-up photo.
  await session.run([warm]);
  const started = performance.now();
  const summary = await session.run(files);
  const wallMs = performance.now() - started;
  await session.close();
  return { summary, wallMs };
}

async function overheadBench() {
  const fake = await startFakeProcess(LATENCY_MS);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phototag-bench-'));
  try {
    const files = [];
    for (const source of LARGE_JPEGS) {
      for (let i = 0; i < COPIES; i++) {
        const target = path.join(dir, `${i}-${path.basename(source)}`);
        fs.writeFileSync(target, withComment(fs.readFileSync(path.join(CORPUS, source)), `bench copy ${i}`));
        files.push(target);
      }
    }
    const warm = path.join(dir, 'warm.jpg');
    fs.copyFileSync(path.join(CORPUS, 'jpeg/htc-desire-gps.jpg'), warm);
    fs.chmodSync(warm, 0o644);
    const callsBefore = (await fake.calls()).length + 1;
    const { summary, wallMs } = await tagRun(warm, files, path.join(dir, 'data'), fake, 1);
    const calls = (await fake.calls()).slice(callsBefore);
    if (summary.done !== files.length) throw new Error(`bench: only ${summary.done} of ${files.length} photos done`);
    return {
      photos: files.length,
      // Everything but the model's own time: the fixed latency per call is all the fake server adds.
      overheadMs: (wallMs - calls.length * LATENCY_MS) / files.length,
      wallMsPerPhoto: wallMs / files.length,
      bytesPerPhoto: calls.reduce((sum, c) => sum + c.imageBytes, 0) / files.length,
      maxBytes: Math.max(...calls.map((c) => c.imageBytes)),
      callsPerPhoto: calls.length / files.length,
    };
  } finally {
    fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function helpStartup(runs = 15) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    spawnSync(process.execPath, [path.join(ROOT, 'bin/phototag.js'), '--help'], { stdio: 'ignore' });
    times.push(performance.now() - start);
  }
  const bare = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    bare.push(performance.now() - start);
  }
  const median = (list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)];
  return { helpMs: median(times), nodeMs: median(bare) };
}

const overhead = await overheadBench();
const startup = helpStartup();
const peakRssMb = process.resourceUsage().maxRSS / 1024;

const rows = [
  ['local overhead per 8–10 MP JPEG, concurrency 1 (all but the model\'s time)', `${overhead.overheadMs.toFixed(0)} ms`, '≤ 120 ms'],
  ['bytes sent to the model per photo (mean / max)', `${(overhead.bytesPerPhoto / 1024).toFixed(0)} KB / ${(overhead.maxBytes / 1024).toFixed(0)} KB`, '≤ 300 KB'],
  ['model calls per photo', overhead.callsPerPhoto.toFixed(2), 'exactly 1'],
  ['peak RSS of the bench process (ExifTool is a separate process)', `${peakRssMb.toFixed(0)} MB`, '—'],
  ['`phototag --help` start-up (median of 15; bare `node -e 0` for reference)', `${startup.helpMs.toFixed(0)} ms (node alone: ${startup.nodeMs.toFixed(0)} ms)`, '≤ 150 ms'],
];
const table = [
  `Measured by \`npm run bench\` on ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}: ${overhead.photos} copies of the corpus's 8 MP and 10 MP JPEGs tagged in English and Russian against the fake model server with a fixed ${LATENCY_MS} ms latency.`,
  '',
  '| measure | result | target |',
  '| --- | --- | --- |',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
console.log(table);

const readme = path.join(ROOT, 'README.md');
const text = fs.readFileSync(readme, 'utf8');
const start = '<!-- bench:start -->';
const end = '<!-- bench:end -->';
if (text.includes(start) && text.includes(end)) {
  fs.writeFileSync(readme, `${text.slice(0, text.indexOf(start) + start.length)}\n${table}\n${text.slice(text.indexOf(end))}`);
  console.log('\nREADME.md updated.');
}
