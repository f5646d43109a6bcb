import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandOf, inTerminalForeground, wantsRelaunch } from '../../src/launcher.js';
import { tempDirs } from '../support/corpus.js';

const linux = process.platform === 'linux';

describe('which commands run in a child with MALLOC_ARENA_MAX', () => {
  it('finds the command after the global options', () => {
    expect(commandOf(['-c', 'my.yaml', 'scan', 'photos'])).toBe('scan');
    expect(commandOf(['--config', 'tag', 'retry'])).toBe('retry');
    expect(commandOf(['--config=x.yaml', 'apply', 'review.csv'])).toBe('apply');
    expect(commandOf(['--version'])).toBeUndefined();
  });

  it.skipIf(!linux)('tag, scan, retry and apply; not serve, stats, --help, nor when the user decided', () => {
    const env = { PATH: '/usr/bin' };
    for (const command of ['tag', 'scan', 'retry', 'apply']) expect(wantsRelaunch([command, 'x'], env, []), command).toBe(true);
    for (const command of ['serve', 'stats', 'show', 'undo', 'backup', 'help'])
      expect(wantsRelaunch([command], env, []), command).toBe(false);
    expect(wantsRelaunch(['tag', '--help'], env, [])).toBe(false);
    expect(wantsRelaunch(['tag', 'x'], { ...env, MALLOC_ARENA_MAX: '8' }, [])).toBe(false);
    expect(wantsRelaunch(['tag', 'x'], { ...env, PHOTOTAG_NO_RELAUNCH: '1' }, [])).toBe(false);
    expect(wantsRelaunch(['tag', 'x'], { ...env, PHOTOTAG_LAUNCHER_PID: '1' }, [])).toBe(false);
    expect(wantsRelaunch(['tag', 'x'], env, ['--inspect-brk'])).toBe(false);
  });
});

describe('whether a SIGINT came through the terminal', () => {
  const dirs = tempDirs('phototag-launcher-');
  const stat = (rest: string) => {
    const file = path.join(dirs(), 'stat');
    // pid (comm) state ppid pgrp session tty_nr tpgid …; a comm may hold spaces and parentheses.
    fs.writeFileSync(file, `4242 (node (x) y) S 4000 4242 3900 ${rest} 4194560 0 0`);
    return file;
  };
  it('is in the foreground when the terminal’s foreground group is its own', () => {
    expect(inTerminalForeground(stat('34816 4242'))).toBe(true);
    expect(inTerminalForeground(stat('34816 4300'))).toBe(false); // in the background (`&`)
    expect(inTerminalForeground(stat('0 -1'))).toBe(false); // no terminal
    expect(inTerminalForeground(path.join(dirs(), 'missing'))).toBe(false);
  });
});
