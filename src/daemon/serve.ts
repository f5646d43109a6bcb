import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Channel } from '../core/channel.js';
import type { Config } from '../core/config/schema.js';
import { errorMessage, FatalError } from '../core/errors.js';
import { stuckBoundMs, WorkerActivity } from '../core/activity.js';
import { StoreQueue } from '../core/queue.js';
import { hashFile } from '../core/hash.js';
import type { JobExtras, Proposal } from '../core/pipeline.js';
import { dataDirOf, openSession, type Session } from '../core/session.js';
import { findSidecar } from '../core/sidecar.js';
import { computeStats } from '../core/stats.js';
import type { PhotoOutcome } from '../core/types.js';
import { HttpEndpoint } from './http.js';
import { acquireServeLock } from './lock.js';
import { photoId, type Logger } from './log.js';
import { Metrics } from './metrics.js';
import { notify, watchdogInterval } from './systemd.js';
import { TelegramBot } from './telegram.js';
import { FolderWatcher } from './watcher.js';

export interface Daemon {
  address: AddressInfo;
  /** Stop taking work, let running photos finish (bounded), close everything in reverse order. */
  stop(): Promise<void>;
}

/** The composition root of `phototag serve`: parts start in order (lock, store, ExifTool, workers, watcher, HTTP) and stop in reverse. */
export async function startDaemon(config: Config, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<Daemon> {
  const serve = config.serve;
  const dataDir = dataDirOf(config, env);
  const folders = serve.watch.map((dir) => path.resolve(dir));
  for (const folder of folders) if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) throw new FatalError(`serve: watched folder ${folder} does not exist`);
  const token = readToken(serve.token, serve.tokenFile);
  const stack: { name: string; stop: () => Promise<void> | void }[] = [];
  const stopAll = async () => {
    for (const part of stack.reverse()) {
      try {
        await part.stop();
      } catch (error) {
        log.error(`stopping ${part.name} failed`, { error: errorMessage(error) });
      }
    }
    stack.length = 0;
  };

  try {
    stack.push({ name: 'lock', stop: acquireServeLock(dataDir) });
    let metrics: Metrics | undefined;
    let bot: TelegramBot | undefined;
    const jobs = new Map<string, JobExtras>();
    const proposals = new Map<string, Proposal>();
    const session: Session = await openSession(config, {
      dryRun: false,
      source: 'watch',
      env,
      waitForProvider: true,
      jobs,
      proposals,
      onCall: (call) => metrics?.call(call),
      onPause: (model, until, reason) => log.warn('model paused after repeated failures', { model, until: new Date(until).toISOString(), reason }),
    });
    stack.push({ name: 'store and ExifTool', stop: () => session.close() });
    log.info('exiftool ready', { version: await session.tool.version() });
    metrics = await Metrics.create(() => session.store.reports.queueDepth());

    const intake = new Channel<string>();
    const stopWorking = new AbortController();
    const cutOff = new AbortController();
    const activity = new WorkerActivity();
    const running = session.run(intake, {
      signal: stopWorking.signal,
      abort: cutOff.signal,
      events: {
        onStart: (file) => activity.begin(file),
        onStage: (file, stage) => {
          log.debug(stage, { photo: photoId(file), file });
          void bot?.stage(file, stage);
        },
        onRetry: (file, reason, delayMs, attempt) => {
          activity.end(file);
          log.warn('retrying later', { photo: photoId(file), file, reason, inSeconds: Math.round(delayMs / 1000), attempt });
        },
        onOutcome: (outcome) => {
          activity.end(outcome.file);
          // "Unchanged since it was tagged": the echo of our own write, or a rescan finding nothing new.
          if (outcome.reason?.startsWith('unchanged since')) return;
          metrics?.photo(outcome);
          void bot?.outcome(outcome).finally(() => {
            jobs.delete(outcome.file);
            proposals.delete(outcome.file);
          });
          logOutcome(log, outcome);
          moveFinished(session, outcome, folders, serve.processedDir, serve.failedDir, log);
        },
      },
    });
    stack.push({
      name: 'workers',
      stop: async () => {
        intake.close();
        stopWorking.abort();
        // Most of the bound for photos in progress to finish, then their model calls are cut off (they stay queued);
        // the rest of it for closing ExifTool and the database. `phototag serve` exits at the bound whatever happens.
        const waited = (ms: number) => Promise.race([running.then(() => false), new Promise<true>((resolve) => setTimeout(resolve, ms, true).unref())]);
        if (await waited(serve.shutdownSeconds * 700)) {
          log.warn('photos still in progress at the shutdown bound are interrupted; they stay queued for the next start', { seconds: serve.shutdownSeconds, photos: activity.running });
          cutOff.abort();
          await waited(serve.shutdownSeconds * 150);
        }
      },
    });

    const ownFolders = [serve.processedDir, serve.failedDir].filter((d): d is string => Boolean(d)).map((d) => path.resolve(d));
    const watcher = new FolderWatcher({ folders, polling: serve.polling, pollIntervalSeconds: serve.pollIntervalSeconds, stableSeconds: serve.stableSeconds, scanOnStart: serve.scanOnStart, rescanMinutes: serve.rescanMinutes, ownFolders }, (file) => intake.push(file), log);
    if (folders.length > 0) {
      await watcher.start();
      stack.push({ name: 'watcher', stop: () => watcher.stop() });
    } else {
      log.warn('no folders to watch (serve.watch or --watch): only the HTTP endpoint runs');
    }

    const stuckAfter = stuckBoundMs(config.timeoutSeconds, config.maxAttempts);
    const endpoint = new HttpEndpoint({ host: serve.host, port: serve.port, token }, {
      ready: async () => {
        const checks: Record<string, string> = {};
        const ok = await Promise.all([
          check(checks, 'database', () => (session.store.ping() ? 'ok' : 'no answer')),
          check(checks, 'exiftool', async () => `ok ${await session.tool.version()}`),
          check(checks, 'workers', () => {
            const stuck = activity.stuck(stuckAfter);
            if (stuck.length > 0) throw new Error(`${stuck.length} stuck on a photo for over ${Math.round(stuckAfter / 1000)} s (${stuck.map((s) => `${path.basename(s.file)}: ${Math.round(s.ms / 1000)} s`).join(', ')})`);
            return `${activity.running} busy`;
          }),
          check(checks, 'provider', () => {
            const circuit = session.vision.circuit();
            if (!circuit.ok) throw new Error(circuit.detail);
            return circuit.detail;
          }),
        ]);
        return { ok: ok.every(Boolean), checks };
      },
      stats: () => computeStats(session.store),
      metrics: () => metrics!.text(),
      recent: () => session.store.reports.recent(20),
      retry: (filter) => (session.queue instanceof StoreQueue ? session.queue.requeue(filter) : 0),
    }, log);
    const address = await endpoint.start();
    stack.push({ name: 'http', stop: () => endpoint.stop() });

    const telegramToken = env.TELEGRAM_BOT_TOKEN || config.telegram.token;
    if (telegramToken) {
      bot = new TelegramBot({
        ...config.telegram,
        token: telegramToken,
        inbox: path.join(dataDir, 'telegram'),
        enqueue: (file, extras) => {
          jobs.set(file, extras);
          intake.push(file);
        },
        propose: async (file, result) => {
          proposals.set(file, { hash: await hashFile(file), result });
        },
        failed: (user) => session.store.reports.failures({ telegramUser: user }).map((row) => row.path),
        retry: (user, files) => {
          if (!(session.queue instanceof StoreQueue)) return;
          for (const file of files) jobs.set(file, { source: 'telegram', telegramUser: user });
          session.queue.requeue({ paths: files });
          intake.push(files[0]!); // wakes the workers; the photo itself is already queued
        },
        status: () => {
          const depth = session.store.reports.queueDepth();
          return `queue: ${depth.queued} waiting, ${depth.running} in progress`;
        },
        stats: (user) => {
          const stats = computeStats(session.store);
          const mine = stats.perTelegramUser.find((u) => u.user === user) ?? { done: 0, failed: 0 };
          return `you (30 days): ${mine.done} done, ${mine.failed} failed\nall: ${stats.totals.done} done, ${stats.totals.failed} failed, ${stats.totals.queued} queued`;
        },
        log,
      });
      await bot.start();
      stack.push({ name: 'telegram', stop: () => bot?.stop() });
    }

    await notify('READY=1', env);
    const every = watchdogInterval(env);
    if (every) {
      const timer = setInterval(() => void notify('WATCHDOG=1', env), every);
      stack.push({ name: 'watchdog', stop: () => clearInterval(timer) });
    }
    log.info('phototag serve ready', { dataDir, folders, provider: session.provider.preset.name, model: session.provider.model });
    let stopping: Promise<void> | undefined;
    return {
      address,
      stop: () => {
        stopping ??= (async () => {
          log.info('stopping');
          await notify('STOPPING=1', env);
          await stopAll();
          log.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function check(checks: Record<string, string>, name: string, probe: () => string | Promise<string>): Promise<boolean> {
  try {
    checks[name] = await probe();
    return true;
  } catch (error) {
    checks[name] = `failing: ${errorMessage(error)}`;
    return false;
  }
}

function readToken(token: string | undefined, tokenFile: string | undefined): string | undefined {
  if (!tokenFile) return token;
  let text: string;
  try {
    text = fs.readFileSync(tokenFile, 'utf8').trim();
  } catch (error) {
    throw new FatalError(`serve: cannot read the token file ${tokenFile}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`);
  }
  if (text.length < 16) throw new FatalError(`serve: the token in ${tokenFile} is too short (at least 16 characters)`);
  return text;
}

function logOutcome(log: Logger, outcome: PhotoOutcome): void {
  const fields = { photo: photoId(outcome.file), file: outcome.file, ms: outcome.durationMs };
  if (outcome.status === 'done') log.info('photo tagged', { ...fields, title: outcome.title, model: outcome.model, cached: outcome.cacheHit ?? false });
  else if (outcome.status === 'failed') log.warn('photo failed', { ...fields, kind: outcome.errorKind, reason: outcome.reason });
  else log.info('photo skipped', { ...fields, reason: outcome.reason });
}

/** The old system's processed/failed buckets: a finished photo moves there with its sidecars, its record follows. */
function moveFinished(session: Session, outcome: PhotoOutcome, roots: string[], processedDir: string | undefined, failedDir: string | undefined, log: Logger): void {
  const target = outcome.status === 'done' ? processedDir : outcome.status === 'failed' ? failedDir : undefined;
  if (!target) return;
  const root = roots.find((r) => outcome.file.startsWith(`${r}${path.sep}`));
  const relative = root ? path.relative(root, outcome.file) : path.basename(outcome.file);
  const destination = path.join(path.resolve(target), relative);
  try {
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    for (const naming of ['base', 'ext'] as const) {
      const sidecar = findSidecar(outcome.file, naming);
      if (sidecar.exists) fs.renameSync(sidecar.path, path.join(path.dirname(destination), path.basename(sidecar.path)));
    }
    fs.renameSync(outcome.file, destination);
    session.store.jobs.movePath(outcome.file, destination);
  } catch (error) {
    log.error('could not move the photo', { photo: photoId(outcome.file), file: outcome.file, to: destination, error: errorMessage(error) });
  }
}
