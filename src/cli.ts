import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, FAILURE_KINDS, FatalError, PERMANENT_KINDS } from './core/errors.js';
import { EXPORT_FORMATS } from './core/export.js';
import { addConfigOption, addProviderOptions, addTagOptions, collect, integer, number } from './commands/options.js';
import { commandExitCode } from './commands/exit-code.js';
import { escapeControls } from './core/escape.js';
import { databaseFault } from './core/store/faults.js';

const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };

/** Build the program; each command's module is imported only when it runs, so --help stays fast. */
export function buildProgram(signal: AbortSignal): Command {
  const program = new Command('phototag')
    .description('AI titles, descriptions and keywords written into your photos (XMP, IPTC, EXIF) — verified, pixels never re-encoded.')
    .version(version, '-V, --version')
    .option('-c, --config <file>', 'config file (default: searched from the current folder up)')
    .enablePositionalOptions()
    // A usage error is one line (exit 2): what is wrong, and where the usage is.
    .configureOutput({ outputError: (text, write) => write(`phototag: ${text.replace(/^error: /u, '').trimEnd()} (see --help)\n`) })
    .exitOverride();

  addTagOptions(
    program
      .command('tag')
      .description('tag photos: analyze each with a vision model and write the result into it')
      .argument('<files...>', 'photos to tag'),
  ).action(async (files: string[], flags, command: Command) => {
    const { runTag } = await import('./commands/tag.js');
    return runTag(files, { ...flags, config: command.optsWithGlobals().config }, signal);
  });

  addTagOptions(
    program
      .command('scan')
      .description('tag every photo under folders that is not done yet; rescans cost one stat per photo')
      .argument('<folders...>', 'folders to walk'),
  )
    .option('--include <glob>', 'only photos whose path (relative to the folder) matches; repeatable', collect)
    .option('--exclude <glob>', 'leave out files and folders that match; repeatable', collect)
    .option('--max-depth <n>', 'folder levels to enter below each folder (default: all)', integer('--max-depth', 0))
    .action(async (folders: string[], flags, command: Command) => {
      const { runScan } = await import('./commands/scan.js');
      return runScan(folders, { ...flags, config: command.optsWithGlobals().config }, signal);
    });

  addTagOptions(
    program
      .command('retry')
      .description('re-queue failed photos (and photos left queued by a stopped run) and tag them')
      .argument('[files...]', 'only these photos'),
  )
    .option('--since <when>', 'only photos that failed since then: 2026-11-01, 12h, 7d')
    .option('--kind <kind>', `only failures of this kind: ${FAILURE_KINDS.join(', ')}`)
    .option('--all', `also failures that trying again cannot fix by itself (${PERMANENT_KINDS.join(', ')})`)
    .option('--list', 'list failed photos with their reasons, newest first, and change nothing')
    .action(async (files: string[], flags, command: Command) => {
      const { runRetry } = await import('./commands/retry.js');
      return runRetry(files, { ...flags, config: command.optsWithGlobals().config }, signal);
    });

  addProviderOptions(
    program
      .command('serve')
      .description('the daemon: watch folders, tag new photos, serve health, stats, metrics and a dashboard over HTTP'),
  )
    .option('--watch <dir>', 'a folder to watch; repeatable (config: serve.watch)', collect)
    .option('--port <n>', 'HTTP port (default: 8787; 0 = any free port)', integer('--port', 0))
    .option('--host <addr>', 'HTTP address (default: 127.0.0.1; anything else needs a token)')
    .option('--token-file <file>', 'file holding the bearer token for POST /api/retry (config: serve.tokenFile)')
    .option('--no-initial-scan', 'do not enqueue the untagged photos already in the folders at start')
    .option('--polling', 'poll the folders instead of inotify/FSEvents (network shares)')
    .option('--lang <codes>', 'languages, the first is primary: en, ru or en,ru')
    .option('--concurrency <n>', 'model calls at once; photos are read and written beside them (default: 2)', integer('--concurrency', 1))
    .option('--rpm <n>', 'model requests per minute, 0 = unlimited', number('--rpm', 0))
    .addOption(
      new Option('--log-level <level>', 'least important log lines shown').choices(['debug', 'info', 'warn', 'error']).default('info'),
    )
    .action(async (flags, command: Command) => {
      const { runServe } = await import('./commands/serve.js');
      return runServe({ ...flags, config: command.optsWithGlobals().config }, signal);
    });

  addConfigOption(
    program
      .command('apply')
      .description('write exactly what a reviewed CSV (from tag --dry-run --export) says; refuses photos that changed since')
      .argument('<file>', 'the review CSV'),
  )
    .option('--data-dir <dir>', 'where the database lives')
    .option('--backup', "keep ExifTool's photo.jpg_original copy of each photo written")
    .option('--sidecar', 'write XMP sidecars instead of touching the files')
    .option('--json', 'print one JSON object per photo (NDJSON)')
    .action(async (file: string, flags, command: Command) => {
      const { runApply } = await import('./commands/apply.js');
      return runApply(file, { ...flags, config: command.optsWithGlobals().config }, signal);
    });

  addConfigOption(
    program
      .command('export')
      .description("write the CSV a stock site's upload form expects, from what phototag recorded")
      .argument('[files...]', 'only these photos'),
  )
    .addOption(new Option('--format <site>', 'the CSV layout').choices(EXPORT_FORMATS).makeOptionMandatory())
    .option('--since <when>', 'only photos tagged since then: 2026-11-01, 12h, 7d')
    .option('--out <file>', 'write here instead of stdout')
    .option('--data-dir <dir>', 'where the database lives')
    .action(async (files: string[], flags, command: Command) => {
      const { runExport } = await import('./commands/export.js');
      return runExport(files, { ...flags, config: command.optsWithGlobals().config });
    });

  addConfigOption(
    program
      .command('show')
      .description('what phototag wrote into photos (each field before and after, when, which model, the cost) and what changed since')
      .argument('<files...>', 'photos'),
  )
    .option('--data-dir <dir>', 'where the database lives')
    .option('--json', 'print one JSON object per photo')
    .action(async (files: string[], flags, command: Command) => {
      const { runShow } = await import('./commands/show.js');
      return runShow(files, { ...flags, config: command.optsWithGlobals().config });
    });

  addConfigOption(
    program
      .command('undo')
      .description("put back every field phototag's latest write to each photo changed (or every write of --run / --since)")
      .argument('[files...]', 'photos'),
  )
    .option('--run <id>', 'undo every write of this run (phototag show names it)', integer('--run', 1))
    .option('--since <when>', 'undo every write made since then: 2026-11-01, 12h, 7d')
    .option('--force', 'also put back fields someone changed since phototag wrote them (never when the image data changed)')
    .option('--data-dir <dir>', 'where the database lives')
    .option('--json', 'print one JSON object per photo')
    .action(async (files: string[], flags, command: Command) => {
      const { runUndo } = await import('./commands/undo.js');
      return runUndo(files, { ...flags, config: command.optsWithGlobals().config });
    });

  addConfigOption(program.command('stats'))
    .description('what phototag has done, what failed and what it cost (reads only)')
    .option('--since <when>', 'from this date or span back: 2026-11-01, 12h, 7d (default: 30 days)')
    .option('--until <when>', 'up to this date (default: now)')
    .option('--days <n>', 'days back when --since is not given (default: 30)', integer('--days', 1))
    .option('--data-dir <dir>', 'where the database lives')
    .option('--json', 'print JSON (the same as the daemon serves at /stats)')
    .action(async (flags, command: Command) => {
      const { runStats } = await import('./commands/stats.js');
      return runStats({ ...flags, config: command.optsWithGlobals().config });
    });

  const backup = program
    .command('backup')
    .description('back up, list, verify, restore and prune copies of the database (cron-friendly)')
    .enablePositionalOptions();
  const common = (command: Command, dirHelp?: string) => {
    if (dirHelp) command.option('--dir <dir>', `${dirHelp} (default: the data dir)`);
    return addConfigOption(command)
      .option('--data-dir <dir>', 'the data dir whose database this is about')
      .option('--quiet', 'print nothing on success (failures still print one line and exit non-zero)');
  };
  const backupModule = () => import('./commands/backup.js');
  const flagsOf = (command: Command) => ({ ...command.opts(), config: command.optsWithGlobals().config });
  common(
    backup
      .command('create', { isDefault: true })
      .description(
        'write phototag-YYYYMMDD-HHMMSS.tar.gz: the database (a consistent online copy), the config without secrets, a manifest',
      ),
    'where archives go',
  ).action(async (_flags, command: Command) => (await backupModule()).runBackupCreate(flagsOf(command)));
  common(backup.command('list').description('list backups, newest first'), 'where archives are')
    .option('--json', 'print JSON')
    .action(async (_flags, command: Command) => (await backupModule()).runBackupList(flagsOf(command)));
  common(backup.command('verify').description('check an archive: checksums and SQLite integrity').argument('<file>', 'the archive')).action(
    async (file: string, _flags, command: Command) => (await backupModule()).runBackupVerify(file, flagsOf(command)),
  );
  common(
    backup
      .command('restore')
      .description('verify an archive, keep a restore point of the current database, restore, migrate')
      .argument('<file>', 'the archive'),
  )
    .option('--force', 'restore even while phototag serve runs on the data dir')
    .action(async (file: string, _flags, command: Command) => (await backupModule()).runBackupRestore(file, flagsOf(command)));
  common(backup.command('prune').description("delete phototag's own archives older than --keep-days (nothing else)"), 'where archives are')
    .option('--keep-days <n>', 'keep archives younger than this many days (default: 7)', integer('--keep-days', 0))
    .option('--keep <n>', 'always keep at least this many of the newest (default: 1)', integer('--keep', 0))
    .action(async (_flags, command: Command) => (await backupModule()).runBackupPrune(flagsOf(command)));

  addConfigOption(program.command('config'))
    .description('print the effective config (secrets masked) and where it was loaded from')
    .option('--json', 'print it as JSON')
    .action(async (flags, command: Command) => {
      const { runConfig } = await import('./commands/config.js');
      return runConfig({ ...flags, config: command.optsWithGlobals().config });
    });

  addProviderOptions(
    program.command('models').description('list the vision models the provider offers, free ones marked, the chosen one first'),
  )
    .option('--all', 'list every model, not only vision models')
    .option('--refresh', 'fetch the list again instead of using the 24-hour cache')
    .option('--json', 'print JSON')
    .action(async (flags, command: Command) => {
      const { runModels } = await import('./commands/models.js');
      return runModels({ ...flags, config: command.optsWithGlobals().config });
    });
  return program;
}

/** Run the CLI and return the exit code; the one place that turns errors into output. */
export async function main(argv: string[], signal: AbortSignal): Promise<number> {
  const program = buildProgram(signal);
  try {
    await program.parseAsync(argv);
    return commandExitCode.value;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help')
        return ExitCode.ok;
      return ExitCode.usage;
    }
    const fault = databaseFault(error);
    if (fault) error = fault;
    if (error instanceof FatalError) {
      process.stderr.write(`phototag: ${escapeControls(error.message)}\n`);
      return error.exitCode;
    }
    process.stderr.write(`phototag: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.failed;
  }
}
