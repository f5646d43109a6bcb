import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './corpus.js';

/** What a run of the built CLI printed and how it ended. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI as a user would, with nothing of the test's environment but PATH: HOME is `cwd` (so no
 * config of the machine's user is found), the data directory and the OpenRouter key are the test's own.
 */
export function runCli(args: string[], options: { cwd: string; dataDir: string; key: string }): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'phototag.js'), ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: options.cwd, PHOTOTAG_DATA_DIR: options.dataDir, OPENROUTER_API_KEY: options.key },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
