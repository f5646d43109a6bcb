import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Channel } from '../core/channel.js';
import type { Config } from '../core/config/schema.js';
import { stuckBoundMs, WorkerActivity } from '../core/activity.js';
import { errorMessage, FatalError } from '../core/errors.js';
import type { IntakeItem } from '../core/job.js';
import { StoreQueue } from '../core/queue.js';
import { dataDirOf, openSession, type Session } from '../core/session.js';
import { computeStats } from '../core/stats.js';
import type { QueueItem } from '../core/store.js';
import { apiRoutes } from './api/index.js';
import { HttpEndpoint } from './http.js';
import { Lifecycle, type Part } from './lifecycle.js';
import { acquireServeLock } from './lock.js';
import { photoId, type Logger } from './log.js';
import { Metrics } from './metrics.js';
import { Mover } from './mover.js';
import { OutcomeHandler } from './outcomes.js';
import { daemonStatus, type DaemonStatus } from './status.js';
import { pruneOld } from './retention.js';
import { notify, watchdogInterval } from './systemd.js';
import { TelegramBot } from './telegram.js';
import { FolderWatcher } from './watcher.js';

export interface Daemon {
  address: AddressInfo;
  /** Stop taking work, let running photos finish (bounded), close everything in reverse order. */
  stop(): Promise<void>;
}

/**
 * The composition root of `phototag serve`. Its parts share one lifecycle: started in order (lock, store
 * and ExifTool, workers, watcher, bot, HTTP, watchdog), stopped in reverse; SIGTERM (`signal`) aborts a start.
 */
export async function startDaemon(
  config: Config,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
  signal: AbortSignal = new AbortController().signal,
): Promise<Daemon> {
  const serve = config.serve;
  const dataDir = path.resolve(dataDirOf(config, env));
  const folders = serve.watch.map((dir) => path.resolve(dir));
  for (const folder of folders)
    if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory())
      throw new FatalError(`serve: watched folder ${folder} does not exist`);
  const token = readToken(serve.token, serve.tokenFile);

  let session: Session | undefined;
  let metrics: Metrics | undefined;
  let bot: TelegramBot | undefined;
  let address: AddressInfo | undefined;
  const need = () => session!;
  const intake = new Channel<IntakeItem>();
  const stopWorking = new AbortController();
  const cutOff = new AbortController();
  const activity = new WorkerActivity();
  let running: Promise<unknown> | undefined;
  /** Why the workers stopped while the daemon runs on (the provider ended the run), for /readyz. */
  let workersStopped: string | undefined;
  let releaseLock: (() => void) | undefined;
  let mover: Mover | undefined;
  const outcomes = new OutcomeHandler({ log, metrics: () => metrics, bot: () => bot, mover: () => mover });

  const parts: Part[] = [
    {
      name: 'lock',
      essential: true,
      start: async () => void (releaseLock = acquireServeLock(dataDir)),
      stop: async () => releaseLock?.(),
    },
    {
      name: 'store and ExifTool',
      essential: true,
      start: async () => {
        session = await openSession(config, {
          dryRun: false,
          source: 'watch',
          env,
          waitForProvider: true,
          onWarning: (message) => log.warn(message),
          onCall: (call) => metrics?.call(call),
          onFallback: (from, reason) => metrics?.fallback(from, reason),
          onSwitch: (from, to) => {
            metrics?.switched(to);
            log.info('model in use changed', { from, to });
          },
          onPause: (model, until, reason) =>
            log.warn('model paused after repeated failures', { model, until: new Date(until).toISOString(), reason }),
        });
        log.info('exiftool ready', { version: await session.tool.version() });
        metrics = await Metrics.create({
          dataDir,
          queueDepth: () => need().store.reports.queueDepth(),
          lastSuccessMs: () => need().store.reports.recent(1).done[0]?.updatedAt,
          pausedUntil: (model) => need().vision.pausedUntil(model),
          providerAvailable: () => need().vision.circuit().ok,
          modelInUse: () => need().vision.modelInUse(),
        });
        if (session.queue instanceof StoreQueue && (session.queue.adopted.queued || session.queue.adopted.running)) {
          log.info('taking over photos left by runs that are gone', {
            queued: session.queue.adopted.queued,
            running: session.queue.adopted.running,
          });
        }
      },
      stop: async () => session?.close(),
    },
    {
      name: 'workers',
      essential: true,
      start: async () => {
        if (serve.processedDir || serve.failedDir)
          mover = new Mover({ watched: folders, processedDir: serve.processedDir, failedDir: serve.failedDir }, need().store.jobs, log);
        running = need()
          .run(intake, {
            signal: stopWorking.signal,
            abort: cutOff.signal,
            events: {
              onStart: (file) => activity.begin(file),
              onStage: (file, stage, job) => {
                activity.stage(file, stage);
                log.debug(stage, { photo: photoId(file), file });
                bot?.stage(job, stage);
              },
              onTiming: (_file, stage, ms) => metrics?.stage(stage, ms),
              onRetry: (file, reason, delayMs, attempt) => {
                activity.end(file);
                metrics?.retry();
                log.warn('retrying later', { photo: photoId(file), file, reason, inSeconds: Math.round(delayMs / 1000), attempt });
              },
              onReleased: (file) => activity.end(file),
              // The provider ended the run (key refused, no credit, used-up quota): nothing is tagged from here on,
              // so the daemon must say so and not look busy and ready. The intake closes so the run can end.
              onFatal: (error) => {
                workersStopped = error.message;
                log.error('the workers stopped: no photo is tagged until phototag serve is restarted', { error: error.message });
                intake.close();
              },
              onOutcome: (outcome, job) => {
                activity.end(outcome.file);
                outcomes.handle(outcome, job);
              },
            },
          })
          .catch((error: unknown) => log.error('the workers stopped', { error: errorMessage(error) }));
      },
      stop: async () => {
        intake.close();
        stopWorking.abort();
        // Most of the bound for photos in progress to finish, then their model calls are cut off (they stay queued);
        // the rest of it for their outcomes, ExifTool and the database. `phototag serve` exits at the bound whatever happens.
        const waited = (work: Promise<unknown>, ms: number) =>
          Promise.race([work.then(() => false), new Promise<true>((resolve) => setTimeout(resolve, ms, true).unref())]);
        if (await waited(running!, serve.shutdownSeconds * 700)) {
          log.warn('photos still in progress at the shutdown bound are interrupted; they stay queued for the next start', {
            seconds: serve.shutdownSeconds,
            photos: activity.running,
          });
          cutOff.abort();
          await waited(running!, serve.shutdownSeconds * 100);
        }
        await waited(outcomes.drain(), serve.shutdownSeconds * 50);
      },
    },
  ];

  const ownFolders = [serve.processedDir, serve.failedDir].filter((d): d is string => Boolean(d)).map((d) => path.resolve(d));
  const watcher = new FolderWatcher(
    {
      folders,
      polling: serve.polling,
      pollIntervalSeconds: serve.pollIntervalSeconds,
      stableSeconds: serve.stableSeconds,
      scanOnStart: serve.scanOnStart,
      rescanMinutes: serve.rescanMinutes,
      ownFolders,
    },
    (file) => intake.push(file),
    log,
  );
  if (folders.length > 0) parts.push({ name: 'watcher', essential: true, start: () => watcher.start(), stop: () => watcher.stop() });
  else log.warn('no folders to watch (serve.watch or --watch): only the HTTP endpoint runs');

  const telegramToken = env.TELEGRAM_BOT_TOKEN || config.telegram.token;
  if (telegramToken) {
    parts.push({
      name: 'telegram bot',
      essential: false,
      start: async () => {
        bot = new TelegramBot({
          ...config.telegram,
          token: telegramToken,
          inbox: path.join(dataDir, 'telegram'),
          languages: config.languages,
          store: need().store,
          // Into the database at once, before the handler returns: a SIGTERM right after the "queued" message loses nothing.
          onTraffic: (event, method) => metrics?.telegram(event, method),
          enqueue: (file, request) => {
            if (!request.again) metrics?.upload('telegram'); // a new photo, not Regenerate or Edit
            const stat = fs.statSync(file);
            const [result] = need().queue.add([{ path: file, size: stat.size, mtimeMs: stat.mtimeMs, request }]);
            // Asked again while still waiting (Regenerate pressed twice): the newest status message gets the answer.
            if (result === 'pending' && request.telegram) need().store.jobs.answerTo(file, request.telegram);
            intake.push(file); // wakes the workers; the photo itself is already queued
          },
          retry: (files) => {
            const queue = need().queue;
            if (!(queue instanceof StoreQueue)) return 0;
            const count = queue.requeue({ paths: files });
            intake.push(files[0]!); // wakes the workers; the photo itself is already queued
            return count;
          },
          numbers: (user) => {
            const stats = computeStats(need().store);
            const mine = stats.perTelegramUser.find((u) => u.user === user) ?? { done: 0, failed: 0 };
            return {
              queue: need().store.reports.queueDepth(),
              mine,
              all: { done: stats.totals.done, failed: stats.totals.failed, queued: stats.totals.queued },
            };
          },
          log,
        });
        await bot.start();
      },
      stop: async () => bot?.stop(),
    });
  }

  // Photos the HTTP API queues (uploads, a scan) go into the database at once; one of them wakes the workers.
  const uploadsDir = path.join(dataDir, 'uploads');
  const statOf = (file: string) => {
    const stat = fs.statSync(file);
    return { path: file, size: stat.size, mtimeMs: stat.mtimeMs };
  };
  const enqueueNow = (items: QueueItem[]) => {
    if (items.length === 0) return [];
    const results = need().queue.add(items);
    const waiting = items.find((_, i) => results[i] === 'queued');
    if (waiting) intake.push(waiting.path);
    return items.map((item, i) => ({ result: results[i]!, id: need().store.jobs.idOf(item.path) }));
  };

  // Uploads follow Telegram's retention setting: removed after telegram.retentionDays, unless still waiting.
  let pruneTimer: NodeJS.Timeout | undefined;
  const prune = () =>
    void pruneOld(uploadsDir, config.telegram.retentionDays, need().store, log).catch((error: unknown) =>
      log.warn('could not remove old uploads', { error: errorMessage(error) }),
    );

  const stuckAfter = stuckBoundMs(config.timeoutSeconds, config.maxAttempts);
  const endpoint = new HttpEndpoint(
    { host: serve.host, port: serve.port, token },
    {
      ready: async () => {
        const checks: Record<string, string> = {};
        const ok = await Promise.all([
          check(checks, 'database', () => (need().store.ping() ? 'ok' : 'no answer')),
          check(checks, 'exiftool', async () => `ok ${await need().tool.version()}`),
          check(checks, 'workers', () => {
            if (workersStopped) throw new Error(`stopped: ${workersStopped}`);
            const stuck = activity.stuck(stuckAfter);
            if (stuck.length > 0)
              throw new Error(
                `${stuck.length} stuck on a photo for over ${Math.round(stuckAfter / 1000)} s (${stuck.map((s) => `${path.basename(s.file)}: ${Math.round(s.ms / 1000)} s`).join(', ')})`,
              );
            return `${activity.running} busy`;
          }),
          ...(telegramToken
            ? [
                check(checks, 'telegram', () => {
                  const state = bot?.readiness() ?? { ok: false, detail: 'not started' };
                  if (!state.ok) throw new Error(state.detail);
                  return state.detail;
                }),
              ]
            : []),
          check(checks, 'provider', () => {
            const circuit = need().vision.circuit();
            if (!circuit.ok) throw new Error(circuit.detail);
            return circuit.detail;
          }),
        ]);
        return { ok: ok.every(Boolean), checks };
      },
      status: async (): Promise<DaemonStatus> =>
        daemonStatus({
          checks: (await endpoint.handlers.ready()).checks,
          folders: folders.length > 0 ? watcher.health() : [],
          provider: need().provider.preset.name,
          model: need().vision.modelInUse(),
          models: need().vision.settings.candidates.map((m) => m.id),
          pausedUntil: (model) => need().vision.pausedUntil(model),
          inProgress: activity.inProgress(),
        }),
      metrics: () => metrics!.text(),
      retry: (filter) => {
        const queue = need().queue;
        return queue instanceof StoreQueue ? queue.requeue(filter) : 0;
      },
      routes: apiRoutes({
        store: () => need().store,
        uploads: { dir: uploadsDir, maxFileBytes: serve.uploadMaxMb * 1024 * 1024, maxFiles: 100 },
        enqueueUploads: (files, request) => enqueueNow(files.map((file) => ({ ...statOf(file), request }))).map(({ id }) => id!),
        watched: folders,
        ownFolders,
        enqueueScan: enqueueNow,
        log,
      }),
    },
    log,
  );
  parts.push({ name: 'http', essential: true, start: async () => void (address = await endpoint.start()), stop: () => endpoint.stop() });

  parts.push({
    name: 'upload retention',
    essential: false,
    start: async () => {
      prune();
      pruneTimer = setInterval(prune, 6 * 3_600_000);
      pruneTimer.unref();
    },
    stop: async () => clearInterval(pruneTimer),
  });

  // `auto` models are chosen from the provider's list: read it again while running, so withdrawn models go.
  let modelRefresh: NodeJS.Timeout | undefined;
  parts.push({
    name: 'model list refresh',
    essential: false,
    start: async () => {
      modelRefresh = setInterval(
        () => {
          need()
            .refreshModels()
            .then(
              (models) => log.info('model list refreshed', { models }),
              (error: unknown) => log.warn('could not refresh the model list; keeping the current one', { error: errorMessage(error) }),
            );
        },
        Math.min(config.catalogue.refreshHours * 3_600_000, 2 ** 31 - 1),
      );
      modelRefresh.unref();
    },
    stop: async () => clearInterval(modelRefresh),
  });

  let watchdog: NodeJS.Timeout | undefined;
  parts.push({
    name: 'watchdog',
    essential: false,
    start: async () => {
      const every = watchdogInterval(env);
      if (every) watchdog = setInterval(() => void notify('WATCHDOG=1', env).catch(() => undefined), every);
    },
    stop: async () => clearInterval(watchdog),
  });

  const lifecycle = new Lifecycle(log);
  await lifecycle.start(parts, signal);
  await notify('READY=1', env);
  log.info('phototag serve ready', { dataDir, folders, provider: need().provider.preset.name, model: need().provider.model });
  let stopping: Promise<void> | undefined;
  return {
    address: address!,
    stop: () => {
      stopping ??= (async () => {
        log.info('stopping');
        await notify('STOPPING=1', env);
        await lifecycle.stop();
        log.info('stopped');
      })();
      return stopping;
    },
  };
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
