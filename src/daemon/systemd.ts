import { execFile } from 'node:child_process';

/**
 * sd_notify through `systemd-notify` (Node has no unix datagram sockets). The unit sets NotifyAccess=all,
 * since the message comes from that child process. Does nothing outside systemd (no NOTIFY_SOCKET).
 */
export function notify(state: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!env.NOTIFY_SOCKET) return Promise.resolve();
  return new Promise((resolve) => {
    execFile('systemd-notify', [`--pid=${process.pid}`, state], { env: { ...env }, timeout: 5000 }, () => resolve());
  });
}

/** Half the watchdog interval systemd asked for, in ms (it sets WATCHDOG_USEC with WatchdogSec=). */
export function watchdogInterval(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  const pid = Number(env.WATCHDOG_PID);
  if (Number.isFinite(pid) && pid > 0 && pid !== process.pid) return undefined;
  return Math.max(1000, Math.floor(usec / 2000));
}
