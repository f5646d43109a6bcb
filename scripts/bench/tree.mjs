// Run a command and measure its whole process tree (node, ExifTool's Perl processes, heif-dec …): peak RSS
// summed over the tree, sampled from /proc, and CPU time (user + sys) of every process in it.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';

const SAMPLE_MS = 25;
const TIME = '/usr/bin/time';
const TIME_MARK = 'BENCH_TIME';

function getconf(name, fallback) {
  const value = Number(spawnSync('getconf', [name], { encoding: 'utf8' }).stdout);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}
const TICKS_PER_S = getconf('CLK_TCK', 100);
const PAGE_BYTES = getconf('PAGESIZE', 4096);

export const hasProc = fs.existsSync('/proc/self/stat');
export const hasGnuTime = fs.existsSync(TIME);

function read(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process ended between listing and reading
  }
}

function isUnexecFork(pid, parent) {
  return (
    read(`/proc/${pid}/cmdline`) === read(`/proc/${parent}/cmdline`) && read(`/proc/${pid}/environ`) === read(`/proc/${parent}/environ`)
  );
}

/** The processes below `pid` as [pid, parent]: every thread's children, recursively (Node spawns from any thread). */
function descendants(pid, into = []) {
  let tasks = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return into;
  }
  for (const task of tasks) {
    const children = read(`/proc/${pid}/task/${task}/children`);
    for (const child of children?.trim().split(/\s+/).filter(Boolean) ?? []) {
      into.push([Number(child), pid]);
      descendants(Number(child), into);
    }
  }
  return into;
}

/** Name, CPU seconds so far (user + sys) and RSS in bytes of one process, from /proc/<pid>/stat and statm. */
function sample(pid) {
  const stat = read(`/proc/${pid}/stat`);
  const statm = read(`/proc/${pid}/statm`);
  if (!stat || !statm) return undefined;
  // The name is in parentheses and may itself contain spaces or parentheses: the fields follow the last ")".
  const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S; // utime, stime (fields 14 and 15)
  return { name, cpuS, rssBytes: Number(statm.split(' ')[1]) * PAGE_BYTES };
}

/**
 * Run `command args` to its end. CPU is user + sys of the tree: GNU time's (the command and every descendant
 * its parent waited for: Node reaps ExifTool and heif-dec), or the sum of each tree process's last sampled CPU
 * where that is more (a descendant nobody waited for; samples miss up to one interval per process).
 * `cpuByName` is the sampled split by process name. Peak RSS is the largest sum of the tree's VmRSS seen
 * (pages shared between processes count once per process), `peakByName` its split by process name.
 */
export async function runTree(command, args, { env, cwd } = {}) {
  const timed = hasGnuTime ? [TIME, ['-f', `${TIME_MARK} %e %U %S %M`, command, ...args]] : [command, args];
  const started = performance.now();
  const child = spawn(timed[0], timed[1], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = [];
  const err = [];
  child.stdout.on('data', (chunk) => out.push(chunk));
  child.stderr.on('data', (chunk) => err.push(chunk));
  const lastCpu = new Map(); // pid → { name, cpuS }
  let peakRssBytes = 0;
  let peakByName = {};
  const tick = () => {
    if (!hasProc) return;
    // Under GNU time the measured tree starts at time's child: time's own 2 MB are not the command's.
    const root = hasGnuTime ? descendants(child.pid)[0]?.[0] : child.pid;
    if (root === undefined) return;
    let rss = 0;
    const byName = {};
    for (const [pid, parent] of [[root, undefined], ...descendants(root)]) {
      // A child caught between fork and exec is still its parent (same command line and environment, the
      // parent's pages shared copy-on-write): counting it would count the parent twice. phototag's relaunched
      // child has the same command line but its own environment (MALLOC_ARENA_MAX): it counts.
      if (parent !== undefined && isUnexecFork(pid, parent)) continue;
      const s = sample(pid);
      if (!s) continue;
      rss += s.rssBytes;
      byName[s.name] ??= { processes: 0, rssBytes: 0 };
      byName[s.name].processes++;
      byName[s.name].rssBytes += s.rssBytes;
      lastCpu.set(pid, { name: s.name, cpuS: s.cpuS });
    }
    if (rss > peakRssBytes) [peakRssBytes, peakByName] = [rss, byName];
  };
  const timer = setInterval(tick, SAMPLE_MS);
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve(exitCode));
  }).finally(() => clearInterval(timer));
  const wallMs = performance.now() - started;
  let stderr = Buffer.concat(err).toString('utf8');
  const cpuByName = {};
  for (const { name, cpuS } of lastCpu.values()) cpuByName[name] = (cpuByName[name] ?? 0) + cpuS;
  const sampledCpuS = Object.values(cpuByName).reduce((sum, s) => sum + s, 0);
  let cpuS = sampledCpuS;
  let gnuTimeCpuS;
  let maxProcessRssBytes;
  const mark = stderr.lastIndexOf(`${TIME_MARK} `);
  if (mark >= 0) {
    const [, , user, sys, maxKb] = stderr.slice(mark).trim().split(/\s+/);
    gnuTimeCpuS = Number(user) + Number(sys);
    // GNU time misses a descendant nobody waited for (one left running at exit): then the samples say more.
    cpuS = Math.max(gnuTimeCpuS, sampledCpuS);
    maxProcessRssBytes = Number(maxKb) * 1024;
    stderr = stderr.slice(0, mark);
  }
  return {
    code: hasGnuTime && code !== 0 ? Number(/Command exited with non-zero status (\d+)/.exec(stderr)?.[1] ?? code) : code,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr,
    wallMs,
    cpuS,
    gnuTimeCpuS,
    sampledCpuS,
    cpuByName,
    peakRssBytes,
    peakByName,
    maxProcessRssBytes,
  };
}
