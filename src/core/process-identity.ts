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
  const now = startTimeOf(owner.pid);
  return now === undefined || owner.startTime === '' || now === owner.startTime;
}

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the parenthesised command name (which may contain spaces).
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
