#!/usr/bin/env node
'use strict';
// Launcher: owns signal handling and the exit code. First Ctrl-C stops taking new photos and lets running
// ones finish (a photo is never left half-written); a second one exits at once.
// CommonJS on purpose: an ESM entry costs ~30 ms of loader start-up on every `phototag --help`.
const { relaunch, wantsRelaunch, watchLauncher } = require('../dist/launcher.js');

// On Linux with glibc, tag, scan, retry and apply run in a child with MALLOC_ARENA_MAX=2 (see launcher.ts);
// this process only passes signals on and exits as the child did.
if (wantsRelaunch(process.argv.slice(2))) relaunch(run);
else run();

function run() {
  watchLauncher();
  const { main } = require('../dist/cli.js');

  const controller = new AbortController();
  let interrupts = 0;
  for (const name of ['SIGINT', 'SIGTERM']) {
    process.on(name, () => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      // console.error, not a raw write: on a terminal ink prints it above its progress view instead of
      // leaving a stale frame behind.
      console.error(`\nphototag: ${name} received, finishing the photos in progress (again to quit now)`);
      controller.abort();
    });
  }

  // `phototag … | head` or quitting `less`: the reader is gone. Output ends quietly (no stack trace) and a
  // run stops as on Ctrl-C: the photos in progress finish, the rest stay queued for `phototag retry`.
  let outputClosed = false;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error) => {
      if (error.code !== 'EPIPE') throw error;
      if (outputClosed) return;
      outputClosed = true;
      if (stream === process.stdout && !process.stderr.destroyed)
        process.stderr.write('phototag: output closed, finishing the photos in progress\n', () => {});
      controller.abort('output closed');
    });
  }

  main(process.argv, controller.signal).then((code) => {
    process.exitCode = code;
  });
}
