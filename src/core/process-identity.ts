import fs from 'node:fs';
import os from 'node:os';

/** Who runs a job: enough to tell at the next start whether that process is still alive. */
export interface ProcessIdentity {
  host: string;
  pid: number;
  /** Kernel start time of the process (Linux), so a reused pid is not mistaken for the old process. */
  startTime: string;
}

export function currentProcess(): ProcessIdentity {
  return { host: os.hostname(), pid: process.pid, startTime: startTimeOf(process.pid) ?? '' };
}

/** A process on another host is assumed alive (its jobs wait for it, they are not stolen). */
export function isAlive(owner: ProcessIdentity): boolean {
  if (owner.host !== os.hostname()) return true;
  if (owner.pid === process.pid) return owner.startTime === (startTimeOf(process.pid) ?? '');
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process its parent has not reaped yet still answers signal 0, but it will never run again.
  if (stateOf(owner.pid) === 'Z') return false;
  const now = startTimeOf(owner.pid);
  return now === undefined || owner.startTime === '' || now === owner.startTime;
}

/** Fields of /proc/PID/stat after the parenthesised command name (which may contain spaces): [0] is field 3. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Field 3: R, S, D, Z (zombie), T … */
function stateOf(pid: number): string | undefined {
  return statFields(pid)?.[0];
}

/** Field 22: when the process started, in clock ticks since boot. */
function startTimeOf(pid: number): string | undefined {
  return statFields(pid)?.[19];
}
