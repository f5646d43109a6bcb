import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { ExitCode, FatalError } from './core/errors.js';
import { addProviderOptions, addTagOptions } from './commands/options.js';
import { commandExitCode } from './commands/exit-code.js';

const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };

/** Build the program; each command's module is imported only when it runs, so --help stays fast. */
export function buildProgram(signal: AbortSignal): Command {
  const program = new Command('phototag')
    .description('AI titles, descriptions and keywords written into your photos (XMP, IPTC, EXIF) — verified, pixels never re-encoded.')
    .version(version, '-V, --version')
    .option('-c, --config <file>', 'config file (default: searched from the current folder up)')
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  addTagOptions(program.command('tag').description('tag photos: analyze each with a vision model and write the result into it').argument('<files...>', 'photos to tag'))
    .action(async (files: string[], flags, command: Command) => {
      const { runTag } = await import('./commands/tag.js');
      return runTag(files, { ...flags, config: command.optsWithGlobals().config }, signal);
    });

  program
    .command('config')
    .description('print the effective config (secrets masked) and where it was loaded from')
    .option('--json', 'print it as JSON')
    .action(async (flags, command: Command) => {
      const { runConfig } = await import('./commands/config.js');
      return runConfig({ ...flags, config: command.optsWithGlobals().config });
    });

  addProviderOptions(program.command('models').description('list the vision models the provider offers, free ones marked, the chosen one first'))
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
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage;
    }
    if (error instanceof FatalError) {
      process.stderr.write(`phototag: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`phototag: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.failed;
  }
}
