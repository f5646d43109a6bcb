#!/usr/bin/env node
// npm run bench: the built CLI, run as a user runs it, against the fake model server in a process of its own.
// Throughput at 0 / 500 / 1000 ms model latency and concurrency 1 and 4 on a fixed mixed batch of real photos,
// local ms, CPU s and bytes sent per photo, peak RSS of the whole process tree, and the older rows (rate
// cap, rescan, stats, --help start-up, a 3,000-photo scan). Each figure is shown beside the previous run's
// (scripts/bench-results.json), then the README's bench section and that file are overwritten.
// `npm run bench -- --quick` runs the --help start-up and the batch runs only, and writes nothing.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine, Figures, loadPrevious, machineInfo, RESULTS_FILE, saveResults } from './bench/figures.mjs';
import { BATCH_GROUPS, copyBatch, copyCorpusPhoto, photoOfCall, smallPhotos, STARTUP_PHOTO, writeBatch } from './bench/photos.mjs';
import { hasGnuTime, runTree } from './bench/tree.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/phototag.js');
const QUICK = process.argv.includes('--quick');
const LATENCIES_MS = [0, 500, 1000];
const CONCURRENCIES = [1, 4];
const RATE_PHOTOS = 10;
const BIG_SCAN = 3000;
const MB = 1024 * 1024;

const { findNativeHeifDecoder } = await import(path.join(ROOT, 'dist/core/decoders/heif-native.js'));

/** The fake model server in a process of its own, so its parsing and base64 decoding are not counted as ours. */
async function startFakeProcess(latencyMs, rpmCap = 0) {
  const child = spawn(process.execPath, [path.join(ROOT, 'tests/support/fake-openai.mjs'), String(latencyMs), String(rpmCap)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await once(child.stdout, 'data');
  const url = String(line).trim();
  return {
    url,
    /** { calls: [{ model, imageBytes, at, prompt? }], rejected, maxInFlight } */
    state: async ({ prompts = false } = {}) => (await fetch(new URL(prompts ? '/_state?prompts=1' : '/_state', url))).json(),
    close: () => child.kill(),
  };
}

/** The built CLI in a temp folder of its own (no config file found by accident), its whole process tree measured. */
function phototag(args, { dataDir, cwd, searchPath = process.env.PATH }) {
  return runTree(process.execPath, [BIN, ...args], {
    cwd,
    env: { PATH: searchPath, HOME: os.tmpdir(), PHOTOTAG_DATA_DIR: dataDir, PHOTOTAG_API_KEY: 'bench' },
  });
}

const fakeModelArgs = (fake, concurrency, rpm = 0) => [
  '--provider',
  'openai',
  '--base-url',
  fake.url,
  '--model',
  'fake',
  '--concurrency',
  String(concurrency),
  '--rpm',
  String(rpm),
];

const ndjson = (text) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/** `phototag tag --json` on `files` in English and Russian, against a fake answering in `latencyMs`. */
async function tagRun(files, { latencyMs, concurrency, workDir, searchPath }) {
  const fake = await startFakeProcess(latencyMs);
  try {
    const run = await phototag(['tag', ...fakeModelArgs(fake, concurrency), '--lang', 'en,ru', '--json', ...files], {
      dataDir: path.join(workDir, 'data'),
      cwd: workDir,
      searchPath,
    });
    const { calls } = await fake.state({ prompts: true });
    const results = ndjson(run.stdout);
    const done = results.filter((r) => r.status === 'done').length;
    if (run.code !== 0 || done !== files.length)
      throw new Error(`bench: ${done} of ${files.length} photos done (exit ${run.code}): ${run.stderr.slice(-500)}`);
    return { run, calls: [...calls].sort((a, b) => a.at - b.at), results };
  } finally {
    fake.close();
  }
}

const mean = (list) => list.reduce((sum, x) => sum + x, 0) / list.length;

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return Number.isInteger(middle) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[Math.floor(middle)];
};

/** One run of the batch: throughput, CPU and RSS; at concurrency 1 also local time and bytes per group. */
async function batchRun({ template, batch, latencyMs, concurrency, workDir, startupCpuS }) {
  const groupOf = new Map(batch.map((b) => [b.name, b.group]));
  const files = copyBatch(template, batch, path.join(workDir, 'photos'));
  const { run, calls } = await tagRun(files, { latencyMs, concurrency, workDir });
  fs.rmSync(workDir, { recursive: true, force: true });
  const n = files.length;
  // From the first model call to the last model answer, as the fake server saw them.
  const windowS = (calls.at(-1).at + latencyMs - calls[0].at) / 1000;
  const measured = {
    latencyMs,
    concurrency,
    photos: n,
    calls: calls.length,
    perSecond: n / windowS,
    ideal: latencyMs > 0 ? concurrency / (latencyMs / 1000) : undefined,
    cpuPerPhotoS: (run.cpuS - startupCpuS) / (n - 1),
    cpuByName: run.cpuByName,
    peakRssBytes: run.peakRssBytes,
    peakByName: run.peakByName,
    maxProcessRssBytes: run.maxProcessRssBytes,
    wallS: run.wallMs / 1000,
  };
  if (concurrency === 1) {
    // One model call at a time: the time between two calls is the model's latency plus the local work the
    // model waited for between them (one photo's write, the next one's preparation, as far as not overlapped).
    const photoOf = calls.map(photoOfCall);
    measured.callsNamed = photoOf.filter(Boolean).length;
    measured.inArgumentOrder = photoOf.every((name, i) => name === batch[i]?.name);
    measured.localMs = (calls.at(-1).at - calls[0].at) / (n - 1) - latencyMs;
    measured.byGroup = {};
    for (const group of BATCH_GROUPS) {
      const gaps = [];
      const bytes = [];
      for (let k = 0; k < calls.length; k++) {
        if (groupOf.get(photoOf[k]) !== group.id) continue;
        bytes.push(calls[k].imageBytes);
        if (groupOf.get(photoOf[k + 1]) === group.id) gaps.push(calls[k + 1].at - calls[k].at - latencyMs);
      }
      // The median: a moment of other work on the shared machine lengthens one gap, not the figure.
      measured.byGroup[group.id] = { localMs: gaps.length ? median(gaps) : NaN, gaps, bytes: mean(bytes) };
    }
    measured.bytesMean = mean(calls.map((c) => c.imageBytes));
    measured.bytesMax = Math.max(...calls.map((c) => c.imageBytes));
  }
  console.error(
    `  batch, ${latencyMs} ms model, concurrency ${concurrency}: ${measured.perSecond.toFixed(2)} photos/s, ` +
      `${measured.cpuPerPhotoS.toFixed(2)} CPU s/photo, peak RSS ${(measured.peakRssBytes / MB).toFixed(0)} MB, ${measured.wallS.toFixed(1)} s; ` +
      `CPU s sampled by process: ${Object.entries(run.cpuByName)
        .map(([name, cpuS]) => `${name} ${cpuS.toFixed(1)}`)
        .join(', ')} (GNU time: ${run.gnuTimeCpuS?.toFixed(1) ?? 'none'})`,
  );
  return measured;
}

/**
 * The fixed batch at every latency and concurrency, plus one run on a single small photo: its CPU is a run's
 * fixed cost (Node, ExifTool and SQLite start-up), taken off before dividing by the photos. Concurrency 4
 * runs twice (they are short, and the most disturbed by other work on a shared machine): the faster run's
 * figures are kept, with the higher of the two peak RSS.
 */
async function batchBench(dir) {
  const template = path.join(dir, 'template');
  const batch = await writeBatch(template);
  const startup = await tagRun([copyCorpusPhoto(STARTUP_PHOTO, path.join(dir, 'startup'))], {
    latencyMs: 0,
    concurrency: 1,
    workDir: path.join(dir, 'startup'),
  });
  const runs = [];
  for (const latencyMs of LATENCIES_MS) {
    for (const concurrency of CONCURRENCIES) {
      const tries = [];
      for (let i = 0; i < (concurrency > 1 ? 2 : 1); i++) {
        const workDir = path.join(dir, `run-${latencyMs}-${concurrency}-${i}`);
        tries.push(await batchRun({ template, batch, latencyMs, concurrency, workDir, startupCpuS: startup.run.cpuS }));
      }
      const best = tries.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
      const biggest = tries.reduce((a, b) => (b.peakRssBytes > a.peakRssBytes ? b : a));
      runs.push({
        ...best,
        peakRssBytes: biggest.peakRssBytes,
        peakByName: biggest.peakByName,
        tries: tries.map((t) => ({ perSecond: t.perSecond, cpuPerPhotoS: t.cpuPerPhotoS, peakRssBytes: t.peakRssBytes })),
      });
    }
  }
  return {
    batch,
    startupCpuS: startup.run.cpuS,
    runs,
    alone: await groupsAlone(template, batch, dir, startup.run.wallMs),
    largeJpegs: await largeJpegThroughput(dir),
    heicWasm: await heicWithoutNativeDecoder(template, batch, dir),
  };
}

/**
 * The issue's own measure: large camera JPEGs alone (9 copies each of the batch's 8, 10 and 12 MP ones) at
 * 500 ms and concurrency 4, where the mixed batch is bound by this machine's cores (HEIC decoding).
 */
async function largeJpegThroughput(dir) {
  const groups = BATCH_GROUPS.filter((g) => g.id === 'jpegLarge').map((g) => ({ ...g, copies: 9 }));
  const template = path.join(dir, 'large-jpegs');
  const photos = await writeBatch(template, groups);
  const tries = [];
  for (let i = 0; i < 2; i++) {
    const workDir = path.join(dir, `large-jpegs-${i}`);
    const files = copyBatch(template, photos, path.join(workDir, 'photos'));
    const { calls } = await tagRun(files, { latencyMs: 500, concurrency: 4, workDir });
    fs.rmSync(workDir, { recursive: true, force: true });
    tries.push(files.length / ((calls.at(-1).at + 500 - calls[0].at) / 1000));
  }
  const perSecond = Math.max(...tries);
  console.error(`  ${photos.length} large JPEGs, 500 ms model, concurrency 4: ${perSecond.toFixed(2)} photos/s`);
  return { photos: photos.length, perSecond, ideal: 8 };
}

/**
 * Each format group on its own at concurrency 1 and 0 ms: the whole command's time less a one-photo run's
 * (start-up), over the photos less one. In the mixed batch, photos read ahead reach the model in the order
 * they are ready, so consecutive calls of one group need not exist there; and the calls alone leave out the
 * writes, which the pipeline does after the last call.
 */
async function groupsAlone(template, batch, dir, startupWallMs) {
  const alone = {};
  for (const group of BATCH_GROUPS) {
    const photos = batch.filter((b) => b.group === group.id);
    const workDir = path.join(dir, `alone-${group.id}`);
    const files = copyBatch(template, photos, path.join(workDir, 'photos'));
    const { run } = await tagRun(files, { latencyMs: 0, concurrency: 1, workDir });
    fs.rmSync(workDir, { recursive: true, force: true });
    alone[group.id] = { localMs: (run.wallMs - startupWallMs) / (files.length - 1) };
    console.error(`  ${group.label} alone, 0 ms model, concurrency 1: ${alone[group.id].localMs.toFixed(0)} ms a photo`);
  }
  return alone;
}

/**
 * The batch's HEICs at concurrency 1 and 0 ms with no native decoder on PATH (so the WebAssembly one decodes):
 * the median time between two model calls is one HEIC's local work. phototag needs nothing else from PATH.
 */
async function heicWithoutNativeDecoder(template, batch, dir) {
  const heics = batch.filter((b) => b.group === 'heic');
  const workDir = path.join(dir, 'heic-wasm');
  const files = copyBatch(template, heics, path.join(workDir, 'photos'));
  const { run, calls } = await tagRun(files, { latencyMs: 0, concurrency: 1, workDir, searchPath: path.join(dir, 'no-such-folder') });
  fs.rmSync(workDir, { recursive: true, force: true });
  const gaps = calls.slice(1).map((call, i) => call.at - calls[i].at);
  console.error(
    `  HEIC with the WebAssembly decoder: ${median(gaps).toFixed(0)} ms a photo, peak RSS ${(run.peakRssBytes / MB).toFixed(0)} MB`,
  );
  return { photos: files.length, localMs: median(gaps), peakRssBytes: run.peakRssBytes };
}

function helpStartup(runs = 15) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    spawnSync(process.execPath, [BIN, '--help'], { stdio: 'ignore' });
    times.push(performance.now() - start);
  }
  const bare = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    bare.push(performance.now() - start);
  }
  return { helpMs: median(times), nodeMs: median(bare) };
}

/** A provider capped at 20 requests a minute (429 + Retry-After past it), phototag told --rpm 20. */
async function rateCapBench(dir) {
  const fake = await startFakeProcess(200, 20);
  try {
    const photos = path.join(dir, 'capped');
    await smallPhotos(photos, RATE_PHOTOS);
    const run = await phototag(['scan', ...fakeModelArgs(fake, 2, 20), '--json', photos], { dataDir: path.join(dir, 'd2'), cwd: dir });
    const { calls, rejected } = await fake.state();
    const failed = ndjson(run.stdout).filter((r) => r.status !== 'done').length;
    const spanMin = (calls.at(-1).at - calls[0].at) / 60_000;
    return { photos: RATE_PHOTOS, failed, rejected, perMinute: (calls.length - 1) / spanMin };
  } finally {
    fake.close();
  }
}

/** A rescan of 10,000 photos that are all done: one stat each. */
async function rescanBench(dir) {
  const root = path.join(dir, 'library');
  const dataDir = path.join(dir, 'd3');
  const [seed] = await smallPhotos(root, 1, 'seed');
  const { Store } = await import(path.join(ROOT, 'dist/core/store.js'));
  const store = Store.inDataDir(dataDir);
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
  try {
    const run = await phototag(['scan', ...fakeModelArgs(fake, 2), root], { dataDir, cwd: dir });
    const { calls } = await fake.state();
    if (!/10000 skipped/.test(run.stdout)) throw new Error(`rescan did not skip 10,000 photos: ${run.stdout.slice(-300)}`);
    return { files: 10_000, wallMs: run.wallMs, calls: calls.length };
  } finally {
    fake.close();
  }
}

/** `phototag stats` on a database of 100,000 photos and 100,000 model calls. */
async function statsBench(dir) {
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
  const run = await phototag(['stats', '--json'], { dataDir: data, cwd: dir });
  if (run.code !== 0) throw new Error(`stats failed: ${run.stderr}`);
  const start = performance.now();
  const { computeStats } = await import(path.join(ROOT, 'dist/core/stats.js'));
  const store = Store.inDataDir(data);
  computeStats(store, {});
  store.close();
  return { wallMs: run.wallMs, queryMs: performance.now() - start };
}

/** Peak memory of a 3,000-photo scan against a fast fake model. */
async function bigScanBench(dir) {
  const photos = path.join(dir, 'big');
  await smallPhotos(photos, BIG_SCAN);
  const fake = await startFakeProcess(0);
  try {
    const run = await phototag(['scan', ...fakeModelArgs(fake, 4), '--json', photos], { dataDir: path.join(dir, 'd4'), cwd: dir });
    if (run.code !== 0) throw new Error(`${BIG_SCAN}-photo scan failed: ${run.stderr.slice(-500)}`);
    return { photos: BIG_SCAN, peakRssBytes: run.peakRssBytes, peakByName: run.peakByName, wallMs: run.wallMs };
  } finally {
    fake.close();
  }
}

// ---- run ----------------------------------------------------------------------------------------------

const benchStarted = performance.now();
const machine = machineInfo({ heifDecoder: findNativeHeifDecoder(), gnuTime: hasGnuTime });
const previous = loadPrevious();
const figures = new Figures(previous);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phototag-bench-'));
let startup, batch, capped, rescan, stats, big;
try {
  console.error('bench: --help start-up');
  startup = helpStartup();
  console.error('bench: the fixed batch');
  batch = await batchBench(path.join(dir, 'batch'));
  if (!QUICK) {
    console.error('bench: rate cap');
    capped = await rateCapBench(dir);
    console.error('bench: rescan of 10,000');
    rescan = await rescanBench(dir);
    console.error('bench: stats on 100,000');
    stats = await statsBench(dir);
    console.error(`bench: a ${BIG_SCAN}-photo scan`);
    big = await bigScanBench(dir);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
machine.loadAverageAtEnd = os.loadavg().map((l) => Number(l.toFixed(2)));
machine.durationS = Math.round((performance.now() - benchStarted) / 1000);

// ---- the README section -----------------------------------------------------------------------------

const mb = (bytes) => `${(bytes / MB).toFixed(0)} MB`;
const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`;
const seconds = (ms) => (ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`);
const { runs } = batch;
const photos = runs[0].photos;
const groupCounts = BATCH_GROUPS.map((g) => `${g.copies * g.sources.length} × ${g.label}`).join(', ');

const throughputRows = runs.map((r) => {
  const key = `batch.${r.latencyMs}ms.c${r.concurrency}`;
  // The cores bound it too, at the CPU each photo takes; at 0 ms they are the only bound.
  const cpuBound = machine.cores / r.cpuPerPhotoS;
  const bound = r.ideal ?? cpuBound;
  return [
    seconds(r.latencyMs),
    String(r.concurrency),
    `${r.ideal ? `${r.ideal.toFixed(0)} photo${r.ideal === 1 ? '' : 's'}/s` : 'none'}; CPU bound ${cpuBound.toFixed(1)}/s`,
    figures.put(
      `${key}.throughput`,
      r.perSecond,
      `${r.perSecond.toFixed(2)} photos/s, ${((r.perSecond / bound) * 100).toFixed(0)}% of ${r.ideal ? 'ideal' : 'the CPU bound'}`,
    ),
    figures.put(`${key}.cpuPerPhoto`, r.cpuPerPhotoS, `${r.cpuPerPhotoS.toFixed(2)} s`),
    figures.put(`${key}.peakRss`, r.peakRssBytes / MB, mb(r.peakRssBytes)),
  ];
});

const c1 = (latencyMs) => runs.find((r) => r.concurrency === 1 && r.latencyMs === latencyMs);
const localRows = [
  ...BATCH_GROUPS.map((g) => ({
    id: g.id,
    label: `${g.label} (${g.copies * g.sources.length})`,
    pick: (r) => r.byGroup?.[g.id] ?? { localMs: NaN, bytes: NaN },
  })),
  { id: 'all', label: `the whole batch (${photos})`, pick: (r) => ({ localMs: r.localMs ?? NaN, bytes: r.bytesMean ?? NaN }) },
].map(({ id, label, pick }) => [
  label,
  ...LATENCIES_MS.map((l) => {
    // At 0 ms a group's own run says what its photos cost; the mixed batch need not give it consecutive calls.
    const ms = l === 0 && batch.alone[id] ? batch.alone[id].localMs : pick(c1(l)).localMs;
    return figures.put(`local.${id}.${l}ms`, ms, `${ms.toFixed(0)} ms`);
  }),
  figures.put(`bytes.${id}`, pick(c1(0)).bytes, kb(pick(c1(0)).bytes)),
]);

const worst = runs.find((r) => r.latencyMs === 0 && r.concurrency === 4);
const totalCalls = runs.reduce((sum, r) => sum + r.calls, 0);
const totalPhotos = runs.reduce((sum, r) => sum + r.photos, 0);
/** "580 MB: node 253 MB, 3 × perl 210 MB, …": where the tree's memory was at its peak. */
const split = (r) =>
  `${mb(r.peakRssBytes)}: ` +
  Object.entries(r.peakByName)
    .sort(([, a], [, b]) => b.rssBytes - a.rssBytes)
    .map(([name, { processes, rssBytes }]) => `${processes > 1 ? `${processes} × ` : ''}${name} ${mb(rssBytes)}`)
    .join(', ');
const rows = [
  [
    'peak RSS of the whole process tree, the batch at concurrency 4 and 0 ms model (the worst case), split by process',
    figures.put('peakRss.worst', worst.peakRssBytes / MB, split(worst)),
    '—',
  ],
  [
    `throughput, ${batch.largeJpegs.photos} 8–12 MP JPEGs alone (the issue's measure), 500 ms model, concurrency 4 (ideal 8 photos/s; the faster of 2 runs)`,
    figures.put(
      'largeJpegs.500ms.c4',
      batch.largeJpegs.perSecond,
      `${batch.largeJpegs.perSecond.toFixed(2)} photos/s, ${((batch.largeJpegs.perSecond / batch.largeJpegs.ideal) * 100).toFixed(0)}% of ideal`,
    ),
    '≥ 90%',
  ],
  [
    `12 MP HEIC without a native decoder (WebAssembly), local time per photo at concurrency 1 (${batch.heicWasm.photos} photos, median; with ${machine.heifDecoder ? path.basename(machine.heifDecoder) : 'no native decoder'}: the HEIC row above)`,
    figures.put('local.heicWasm', batch.heicWasm.localMs, `${batch.heicWasm.localMs.toFixed(0)} ms`),
    '—',
  ],
  [
    'CPU per photo (user + sys of the whole tree), the batch at concurrency 4 and 0 ms model',
    figures.put('cpuPerPhoto.worst', worst.cpuPerPhotoS, `${worst.cpuPerPhotoS.toFixed(2)} s`),
    '—',
  ],
  [
    'CPU of a run’s start-up (`phototag tag` on one 0.7 MP JPEG, whole tree)',
    figures.put('startupCpu', batch.startupCpuS, `${batch.startupCpuS.toFixed(2)} s`),
    '—',
  ],
  [
    'bytes sent to the model per photo, the batch (mean / max)',
    figures.put('bytes.meanMax', c1(0).bytesMean, `${kb(c1(0).bytesMean)} / ${kb(c1(0).bytesMax)}`),
    '≤ 300 KB',
  ],
  [
    'model calls per photo (all batch runs)',
    figures.put('callsPerPhoto', totalCalls / totalPhotos, (totalCalls / totalPhotos).toFixed(2)),
    'exactly 1',
  ],
  [
    '`phototag --help` start-up (median of 15; bare `node -e 0` for reference)',
    `${figures.put('help', startup.helpMs, `${startup.helpMs.toFixed(0)} ms`)} (node alone: ${startup.nodeMs.toFixed(0)} ms)`,
    '≤ 150 ms',
  ],
];
if (!QUICK) {
  rows.push(
    [
      `provider capped at 20 requests/min, \`--rpm 20\`, ${capped.photos} photos`,
      figures.put(
        'rateCap',
        capped.perMinute / 20,
        `${capped.perMinute.toFixed(1)}/min (${((capped.perMinute / 20) * 100).toFixed(0)}% of the cap), ${capped.failed} failed, ${capped.rejected} refused by the cap`,
      ),
      '≥ 95%, none failed',
    ],
    [
      'rescan of 10,000 done photos (whole `phototag scan` command)',
      figures.put('rescan', rescan.wallMs, `${(rescan.wallMs / 1000).toFixed(2)} s, ${rescan.calls} model calls`),
      '≤ 3 s',
    ],
    [
      '`phototag stats` on 100,000 photos and 100,000 model calls (whole command / the queries alone)',
      figures.put('stats', stats.wallMs, `${stats.wallMs.toFixed(0)} ms / ${stats.queryMs.toFixed(0)} ms`),
      '≤ 300 ms',
    ],
    [
      `peak RSS of the whole process tree, a ${big.photos}-photo scan (small JPEGs, fast fake model, concurrency 4)`,
      figures.put('bigScan.peakRss', big.peakRssBytes / MB, `${split(big)} (${(big.wallMs / 1000).toFixed(0)} s)`),
      'node < 200 MB',
    ],
  );
}

const table = (head, body) => [
  `| ${head.join(' | ')} |`,
  `| ${head.map(() => '---').join(' | ')} |`,
  ...body.map((r) => `| ${r.join(' | ')} |`),
];
const prev = previous?.machine ? `the previous run: ${describeMachine(previous.machine)}` : 'no previous run';
const section = [
  `Measured by \`npm run bench\` ${describeMachine(machine)}. Each figure is followed by the previous run's (from \`scripts/bench-results.json\`; ${prev}). The machine is shared with other work, so figures are indicative: compare them with the load average.`,
  '',
  `**The fixed batch**: ${photos} photos from \`tests/fixtures/corpus\` (${groupCounts}; every copy's bytes differ, so none is a cache hit), tagged in English and Russian by the built CLI (\`phototag tag --json\`) in a process of its own, against the fake model server in another, answering in a fixed latency. Throughput is the photos over the time from the first model call to the last model answer, as the server saw them: start-up (Node, ExifTool, SQLite, the first photo's preparation) and the last photo's write are left out. Ideal = concurrency ÷ latency; at 0 ms there is none. The CPU bound is ${machine.cores} cores ÷ CPU s per photo, if the machine were ours alone. CPU is user + sys of the whole process tree (node, ExifTool's Perl, heif-dec: GNU time's, or the sum sampled from /proc where more) minus a run on one small photo (start-up), over the other photos. Peak RSS is the sum of every process's RSS in the tree (VmRSS, so pages shared between processes count in each), sampled every 25 ms. Concurrency 4 runs twice (short runs, the most disturbed by other work on the machine): the faster run is shown, with the higher peak RSS of the two.`,
  '',
  ...table(['model latency', 'concurrency', 'ideal', 'throughput', 'CPU per photo', 'peak RSS (tree)'], throughputRows),
  '',
  `**Local time per photo** at concurrency 1, all but the model's time: the time between two consecutive model calls minus the model's latency. At 0 ms, each group tagged on its own: the whole command's time less that of a run on one small photo (start-up), over the photos less one (reads, decodes and writes overlapped as the pipeline does); at 500 ms and 1 s, from the batch runs above, the median over the pairs of consecutive calls for photos of the same group (each photo lies in a folder of its own, which the prompt names, so the server knows which photo a call is for): what is left of the local work once the pipeline does it while the model thinks. For the whole batch, (last call − first call) ÷ (photos − 1) − latency. Bytes: the mean JPEG sent to the model.`,
  '',
  ...table(['photos', 'local ms, 0 ms model', 'local ms, 500 ms model', 'local ms, 1 s model', 'bytes sent per photo'], localRows),
  '',
  ...table(['measure', 'result', 'target'], rows),
].join('\n');
console.log(section);

if (runs.some((r) => r.callsNamed !== undefined && r.callsNamed < r.calls))
  console.error('\nbench: some model calls named no photo folder in their prompt: they count in no group.');
if (QUICK) {
  console.error('\n--quick: README.md and scripts/bench-results.json left as they were.');
} else {
  const readme = path.join(ROOT, 'README.md');
  const text = fs.readFileSync(readme, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  if (text.includes(start) && text.includes(end)) {
    fs.writeFileSync(readme, `${text.slice(0, text.indexOf(start) + start.length)}\n${section}\n${text.slice(text.indexOf(end))}`);
  }
  await saveResults(machine, figures, { batch: runs, startupCpuS: batch.startupCpuS, helpStartup: startup, capped, rescan, stats, big });
  console.error(`\nREADME.md and ${path.relative(ROOT, RESULTS_FILE)} updated (${machine.durationS} s).`);
}
