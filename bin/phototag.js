#!/usr/bin/env node
'use strict';
// Launcher: owns signal handling and the exit code. First Ctrl-C stops taking new photos and lets running
// ones finish (a photo is never left half-written); a second one exits at once.
// CommonJS on purpose: an ESM entry costs ~30 ms of loader start-up on every `phototag --help`.
const { main } = require('../dist/cli.js');

const controller = new AbortController();
let interrupts = 0;
for (const name of ['SIGINT', 'SIGTERM']) {
  process.on(name, () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write(`\nphototag: ${name} received, finishing the photos in progress (again to quit now)\n`);
    controller.abort();
  });
}

main(process.argv, controller.signal).then((code) => {
  process.exitCode = code;
});
