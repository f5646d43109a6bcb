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
const CORPUS = path.resolve(ROOT, 'tests/fixtures/corpus');
const LATENCY_MS = 300;
const COPIES = 8;
const RATE_PHOTOS = 16;
const BIG_SCAN = 5000;
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
async function startFakeProcess(latencyMs, rpmCap = 0) {
  const child = spawn(process.execPath, [path.join(ROOT, 'tests/support/fake-openai.mjs'), String(latencyMs), String(rpmCap)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await once(child.stdout, 'data');
  const url = String(line).trim();
  const state = async () => (await fetch(new URL('/_state', url))).json();
  return {
    url,
    calls: async () => (await state()).calls,
    rejected: async () => (await state()).rejected,
    close: () => child.kill(),
  };
}

/** `count` distinct small JPEGs (a colour and a number each) in `dir`. */
async function smallPhotos(dir, count, prefix = 'p') {
  const sharp = (await import('sharp')).default;
  fs.mkdirSync(dir, { recursive: true });
  const files = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `${prefix}${String(i).padStart(5, '0')}.jpg`);
    const background = { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 13) % 256 };
    await sharp({ create: { width: 320, height: 240, channels: 3, background } })
      .jpeg({ quality: 70 })
      .toFile(file);
    files.push(file);
  }
  return files;
}

/** Run the built CLI as a user would; returns its exit code, wall time and peak RSS (via GNU time, where present). */
function cli(args, env) {
  const time = fs.existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', '%M'] : [];
  const command = [...time, process.execPath, path.join(ROOT, 'bin/phototag.js'), ...args];
  const start = performance.now();
  const result = spawnSync(command[0], command.slice(1), {
    env: { PATH: process.env.PATH, HOME: os.tmpdir(), ...env },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const wallMs = performance.now() - start;
  const rssKb = time.length ? Number(result.stderr.trim().split('\n').at(-1)) : NaN;
  return { code: result.status, wallMs, rssMb: rssKb / 1024, stdout: result.stdout, stderr: result.stderr };
}

async function queueBenches() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phototag-bench-queue-'));
  const results = {};
  try {
    // Throughput: 200 photos, a model that takes 1 s, concurrency 4 → ideally 4 photos/s.
    {
      const fake = await startFakeProcess(1000);
      const files = await smallPhotos(path.join(dir, 'throughput'), 200);
      const run = cli(
        [
          'scan',
          '--provider',
          'openai',
          '--base-url',
          fake.url,
          '--model',
          'fake',
          '--concurrency',
          '4',
          '--rpm',
          '0',
          path.join(dir, 'throughput'),
        ],
        { PHOTOTAG_DATA_DIR: path.join(dir, 'd1'), PHOTOTAG_API_KEY: 'bench' },
      );
      fake.close();
      if (run.code !== 0) throw new Error(`throughput scan failed: ${run.stderr}`);
      results.throughput = { photos: files.length, perSecond: files.length / (run.wallMs / 1000) };
    }
    // A provider capped at 20 requests a minute (429 + Retry-After past it), phototag told --rpm 20.
    {
      const fake = await startFakeProcess(200, 20);
      const files = await smallPhotos(path.join(dir, 'capped'), RATE_PHOTOS);
      const run = cli(
        [
          'scan',
          '--provider',
          'openai',
          '--base-url',
          fake.url,
          '--model',
          'fake',
          '--concurrency',
          '2',
          '--rpm',
          '20',
          '--json',
          path.join(dir, 'capped'),
        ],
        { PHOTOTAG_DATA_DIR: path.join(dir, 'd2'), PHOTOTAG_API_KEY: 'bench' },
      );
      const calls = await fake.calls();
      const rejected = await fake.rejected();
      fake.close();
      const failed = run.stdout
        .trim()
        .split('\n')
        .filter((l) => l && JSON.parse(l).status !== 'done').length;
      const spanMin = (calls.at(-1).at - calls[0].at) / 60_000;
      results.capped = { photos: files.length, failed, rejected, perMinute: (calls.length - 1) / spanMin };
    }
    // A rescan of 10,000 photos that are all done: one stat each.
    {
      const root = path.join(dir, 'library');
      const [seed] = await smallPhotos(root, 1, 'seed');
      const { Store } = await import(path.join(ROOT, 'dist/core/store.js'));
      const store = Store.inDataDir(path.join(dir, 'd3'));
      for (let i = 0; i < 10_000; i++) {
        const file = path.join(root, `f${Math.floor(i / 500)}`, `IMG_${i}.jpg`);
        if (i % 500 === 0) fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.copyFileSync(seed, file);
        const stat = fs.statSync(file);
        store.jobs.recordOutcome({ path: file, size: stat.size, mtimeMs: stat.mtimeMs, status: 'done', source: 'scan' });
      }
      fs.rmSync(seed);
      store.close();
      const fake = await startFakeProcess(0);
      const run = cli(['scan', '--provider', 'openai', '--base-url', fake.url, '--model', 'fake', root], {
        PHOTOTAG_DATA_DIR: path.join(dir, 'd3'),
        PHOTOTAG_API_KEY: 'bench',
      });
      const calls = await fake.calls();
      fake.close();
      if (!/10000 skipped/.test(run.stdout)) throw new Error(`rescan did not skip 10,000 photos: ${run.stdout.slice(-300)}`);
      results.rescan = { files: 10_000, wallMs: run.wallMs, calls: calls.length };
    }
    // `phototag stats` on a database of 100,000 photos and 100,000 model calls.
    {
      const data = path.join(dir, 'd5');
      const { Store } = await import(path.join(ROOT, 'dist/core/store.js'));
      Store.inDataDir(data).close();
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(path.join(data, 'phototag.db'));
      const now = Date.now();
      const photo = db.prepare(
        `INSERT INTO photos (path, size, mtime_ms, status, source, model, tokens_in, tokens_out, cost, error, error_kind, created_at, updated_at) VALUES (?, 1, 1, ?, ?, ?, 800, 100, 0.0001, ?, ?, ?, ?)`,
      );
      const call = db.prepare(
        `INSERT INTO model_calls (at, provider, model, ok, ms, tokens_in, tokens_out, cost) VALUES (?, 'openrouter', ?, ?, ?, 800, 100, 0.0001)`,
      );
      db.transaction(() => {
        for (let i = 0; i < 100_000; i++) {
          const at = now - (i % 60) * 86_400_000 - i;
          const failed = i % 50 === 0;
          photo.run(
            `/library/${i}.jpg`,
            failed ? 'failed' : 'done',
            ['cli', 'scan', 'watch'][i % 3],
            `model/${i % 4}`,
            failed ? 'HTTP 500' : null,
            failed ? 'transient' : null,
            at,
            at,
          );
          call.run(at, `model/${i % 4}`, failed ? 0 : 1, 1000 + (i % 5000));
        }
      })();
      db.close();
      const run = cli(['stats', '--json'], { PHOTOTAG_DATA_DIR: data });
      if (run.code !== 0) throw new Error(`stats failed: ${run.stderr}`);
      const start = performance.now();
      const { Store: S } = await import(path.join(ROOT, 'dist/core/store.js'));
      const { computeStats } = await import(path.join(ROOT, 'dist/core/stats.js'));
      const store = S.inDataDir(data);
      computeStats(store, {});
      store.close();
      results.stats = { wallMs: run.wallMs, queryMs: performance.now() - start };
    }
    // Peak memory of a 5,000-photo scan against a fast fake model.
    {
      const fake = await startFakeProcess(0);
      await smallPhotos(path.join(dir, 'big'), BIG_SCAN);
      const run = cli(
        [
          'scan',
          '--provider',
          'openai',
          '--base-url',
          fake.url,
          '--model',
          'fake',
          '--concurrency',
          '4',
          '--rpm',
          '0',
          '--json',
          path.join(dir, 'big'),
        ],
        { PHOTOTAG_DATA_DIR: path.join(dir, 'd4'), PHOTOTAG_API_KEY: 'bench' },
      );
      fake.close();
      if (run.code !== 0) throw new Error(`5,000-photo scan failed: ${run.stderr.slice(-500)}`);
      results.big = { photos: BIG_SCAN, rssMb: run.rssMb, wallMs: run.wallMs };
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

async function tagRun(warm, files, dataDir, fake, concurrency) {
  const { config } = await loadConfig({
    cwd: dataDir,
    env: {},
    flags: { provider: 'openai', baseUrl: fake.url, model: 'fake/vision', rpm: 0, concurrency, dataDir, languages: ['en', 'ru'] },
  });
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
const queue = process.argv.includes('--quick') ? undefined : await queueBenches();

const rows = [
  ["local overhead per 8–10 MP JPEG, concurrency 1 (all but the model's time)", `${overhead.overheadMs.toFixed(0)} ms`, '≤ 120 ms'],
  [
    'bytes sent to the model per photo (mean / max)',
    `${(overhead.bytesPerPhoto / 1024).toFixed(0)} KB / ${(overhead.maxBytes / 1024).toFixed(0)} KB`,
    '≤ 300 KB',
  ],
  ['model calls per photo', overhead.callsPerPhoto.toFixed(2), 'exactly 1'],
  ['peak RSS of the bench process (ExifTool is a separate process)', `${peakRssMb.toFixed(0)} MB`, '—'],
  [
    '`phototag --help` start-up (median of 15; bare `node -e 0` for reference)',
    `${startup.helpMs.toFixed(0)} ms (node alone: ${startup.nodeMs.toFixed(0)} ms)`,
    '≤ 150 ms',
  ],
];
if (queue) {
  rows.push(
    [
      `throughput, ${queue.throughput.photos} photos, model latency 1 s, concurrency 4 (ideal 4 photos/s)`,
      `${queue.throughput.perSecond.toFixed(2)} photos/s (${((queue.throughput.perSecond / 4) * 100).toFixed(0)}% of ideal)`,
      '≥ 90%',
    ],
    [
      `provider capped at 20 requests/min, \`--rpm 20\`, ${queue.capped.photos} photos`,
      `${queue.capped.perMinute.toFixed(1)}/min (${((queue.capped.perMinute / 20) * 100).toFixed(0)}% of the cap), ${queue.capped.failed} failed, ${queue.capped.rejected} refused by the cap`,
      '≥ 95%, none failed',
    ],
    [
      'rescan of 10,000 done photos (whole `phototag scan` command)',
      `${(queue.rescan.wallMs / 1000).toFixed(2)} s, ${queue.rescan.calls} model calls`,
      '≤ 3 s',
    ],
    [
      '`phototag stats` on 100,000 photos and 100,000 model calls (whole command / the queries alone)',
      `${queue.stats.wallMs.toFixed(0)} ms / ${queue.stats.queryMs.toFixed(0)} ms`,
      '≤ 300 ms',
    ],
    [
      `peak RSS of a ${queue.big.photos}-photo scan (small JPEGs, fast fake model)`,
      `${queue.big.rssMb.toFixed(0)} MB (${(queue.big.wallMs / 1000).toFixed(0)} s)`,
      '< 200 MB',
    ],
  );
}
const table = [
  `Measured by \`npm run bench\` on ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, against the fake model server in a process of its own. The first rows: ${overhead.photos} copies of the corpus's 8 MP and 10 MP JPEGs tagged in English and Russian at concurrency 1, the model answering in a fixed ${LATENCY_MS} ms; overhead is wall time minus that latency, per photo, in steady state.`,
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
