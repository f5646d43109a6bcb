#!/usr/bin/env node
// Launcher: owns signal handling and the exit code. First Ctrl-C stops taking new photos and lets running
// ones finish (a photo is never left half-written); a second one exits at once.
import { main } from '../dist/cli.js';

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

process.exitCode = await main(process.argv, controller.signal);
