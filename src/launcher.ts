import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { constants } from 'node:os';

/**
 * glibc gives each thread that allocates its own malloc arena (up to 8 per core), and libvips' decode threads
 * leave each arena holding tens of MB: a scan of 8–12 MP photos peaked at 300–370 MB resident, 200–250 MB with
 * two arenas. glibc reads MALLOC_ARENA_MAX only when a process starts, and Node 20 cannot exec itself, so the
 * commands that decode photos run in a child started with it set. The daemon is not relaunched: its systemd
 * unit sets the variable (and its tests signal the daemon's own pid).
 */
export const ARENA_MAX = '2';
/**
 * Freed memory above 128 KB at the heap's top goes back to the system at once, and blocks of 128 KB and more
 * (decode buffers) are mapped on their own and unmapped when freed: with two arenas, phototag's own peak went
 * from 213–242 MB to 153–168 MB for a mixed batch at `--concurrency 4`, at the same CPU time.
 */
export const TRIM_THRESHOLD = '131072';
/** The commands that decode photos. */
const HEAVY = new Set(['tag', 'scan', 'retry', 'apply']);
/** Set in the child: the launcher's pid, so the child ends when the launcher is gone. */
const LAUNCHER_PID = 'PHOTOTAG_LAUNCHER_PID';
/** How often the child looks for its launcher (a SIGKILL of the launcher leaves it orphaned until then). */
const WATCH_MS = 250;

/** The command a command line runs: the first word after the global options (`-c FILE`, `--config FILE`). */
export function commandOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-c' || arg === '--config') i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** Whether this process should run the CLI in a child with MALLOC_ARENA_MAX set. */
export function wantsRelaunch(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  execArgv: readonly string[] = process.execArgv,
): boolean {
  if (process.platform !== 'linux') return false;
  if (env.MALLOC_ARENA_MAX !== undefined || env.PHOTOTAG_NO_RELAUNCH === '1' || env[LAUNCHER_PID] !== undefined) return false;
  if (!HEAVY.has(commandOf(args) ?? '') || args.includes('--help') || args.includes('-h')) return false;
  // A debugger's port cannot be opened twice.
  if (execArgv.some((flag) => flag.startsWith('--inspect'))) return false;
  return isGlibc();
}

/** musl (Alpine) has no arenas to bound: no child there. */
function isGlibc(): boolean {
  // excludeNetwork is in Node 20.13+, not yet in @types/node 20.
  const report = process.report as NodeJS.ProcessReport & { excludeNetwork: boolean };
  const excluded = report.excludeNetwork;
  // The network part of a report costs ~100 ms (interface lookups); the header is all that is read.
  report.excludeNetwork = true;
  try {
    const header = (report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
    return typeof header?.glibcVersionRuntime === 'string';
  } catch {
    return false;
  } finally {
    report.excludeNetwork = excluded;
  }
}

/**
 * Whether this process is in its terminal's foreground process group: a Ctrl-C there reaches every process of
 * the group, the child as well, so passing SIGINT on would make it two (the CLI's "quit now").
 */
export function inTerminalForeground(statFile = '/proc/self/stat'): boolean {
  try {
    const stat = fs.readFileSync(statFile, 'utf8');
    // After the command name: state ppid pgrp session tty_nr tpgid …
    const [, , pgrp, , ttyNr, tpgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ttyNr !== '0' && tpgid === pgrp;
  } catch {
    return false;
  }
}

/**
 * Runs this same command line in a child with MALLOC_ARENA_MAX (and MALLOC_TRIM_THRESHOLD_) set and becomes its stand-in: the child's
 * exit code or signal is this process's; SIGTERM and SIGHUP are passed on, SIGINT too unless it came from the
 * terminal (then the child has it already). stdio is the child's own (a pipe or the terminal, unchanged).
 * `fallback` runs the CLI here if the child cannot be started.
 */
export function relaunch(fallback: () => void): ChildProcess {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: {
      MALLOC_TRIM_THRESHOLD_: TRIM_THRESHOLD, // unless the user set their own
      ...process.env,
      MALLOC_ARENA_MAX: ARENA_MAX,
      [LAUNCHER_PID]: String(process.pid),
    },
  });
  const pass = (signal: NodeJS.Signals) => () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (signal === 'SIGINT' && inTerminalForeground()) return;
    child.kill(signal);
  };
  const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const handlers = forwarded.map((signal) => [signal, pass(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const stopForwarding = () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
  child.on('error', () => {
    // Only a child that never started matters (a signal to one that just ended is no news).
    if (child.pid !== undefined) return;
    stopForwarding();
    fallback();
  });
  child.once('exit', (code, signal) => {
    stopForwarding();
    if (signal === null) {
      process.exitCode = code ?? 1;
      return;
    }
    // Ended by a signal: end by the same one, so a shell or systemd sees what happened (130, 143, 137 …).
    process.exitCode = 128 + (constants.signals[signal] ?? 0);
    process.kill(process.pid, signal);
  });
  return child;
}

/**
 * In the child: end at once when the launcher is gone (a `kill -9` of it, as a power cut would end a run;
 * the journal makes that safe). The marker is removed, so the child's own children are not watched.
 */
export function watchLauncher(): void {
  const launcher = process.env[LAUNCHER_PID];
  if (launcher === undefined) return;
  delete process.env[LAUNCHER_PID];
  const check = () => {
    if (process.ppid !== Number(launcher)) process.kill(process.pid, 'SIGKILL');
  };
  check();
  setInterval(check, WATCH_MS).unref();
}
