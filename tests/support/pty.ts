import { spawn, type ChildProcess } from 'node:child_process';

/** A command line for `sh -c`, every argument single-quoted. */
export function shellQuote(args: readonly string[]): string {
  return args.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
}

export interface PtyRun {
  code: number | null;
  /** Everything the program wrote to the terminal, escape sequences included. */
  raw: string;
}

/**
 * Run a command under a real pseudo-terminal (util-linux `script`), as a person at a terminal would.
 * `size` is set with stty inside the pty; `null` leaves it 0×0 (what `script` gives when its stdin is not a
 * terminal, as in CI). `onOutput` sees the output as it comes and may type into the terminal (e.g. Ctrl-C).
 */
export function runInPty(
  argv: readonly string[],
  options: {
    cwd: string;
    env: Record<string, string>;
    size?: { cols: number; rows: number } | null;
    onOutput?: (raw: string, child: ChildProcess) => void;
  },
): Promise<PtyRun> {
  const size = options.size === undefined ? { cols: 80, rows: 24 } : options.size;
  const command = `${size ? `stty cols ${size.cols} rows ${size.rows}; ` : ''}exec ${shellQuote(argv)}`;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let raw = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      raw += d;
      options.onOutput?.(raw, child);
    });
    child.stderr.on('data', (d: Buffer) => (raw += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, raw }));
  });
}

const CSI = /^\x1b\[([?0-9;]*)([A-Za-z])/u;
const OTHER_ESCAPE = /^\x1b(?:\][^\x07]*\x07|[()][A-Z0-9]|[=>78])/u;

/**
 * What a terminal of `cols` columns shows after `raw`: a small emulator for what ink and plain output use
 * (CR, LF, cursor up, erase line, column 1, clear screen, auto-wrap at the last column). Returns every line
 * that scrolled by or is on screen, trailing blanks trimmed.
 */
export function screenOf(raw: string, cols = 80): string[] {
  let lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  let pendingWrap = false;
  const line = () => (lines[row] ??= []);
  for (let i = 0; i < raw.length;) {
    const rest = raw.slice(i, i + 64);
    if (raw[i] === '\x1b') {
      const csi = CSI.exec(rest);
      if (csi) {
        const [whole, arg = '', cmd] = csi;
        const n = /^\d+$/u.test(arg) ? Number(arg) : 1;
        if (cmd === 'A') row = Math.max(0, row - n);
        else if (cmd === 'B') row += n;
        else if (cmd === 'K') lines[row] = arg === '2' || arg === '1' ? [] : line().slice(0, col);
        else if (cmd === 'G') col = Math.max(0, n - 1);
        else if (cmd === 'J' && (arg === '2' || arg === '3')) {
          lines = [[]];
          row = 0;
          col = 0;
        } else if (cmd === 'H') {
          row = 0;
          col = 0;
        }
        if (cmd !== 'm') pendingWrap = false;
        i += whole.length;
        continue;
      }
      const other = OTHER_ESCAPE.exec(rest);
      i += other ? other[0].length : 1;
      continue;
    }
    const ch = String.fromCodePoint(raw.codePointAt(i)!);
    i += ch.length;
    if (ch === '\r') {
      col = 0;
      pendingWrap = false;
    } else if (ch === '\n') {
      row++;
      pendingWrap = false;
    } else if (ch === '\b') col = Math.max(0, col - 1);
    else if (ch >= ' ') {
      if (pendingWrap) {
        row++;
        col = 0;
        pendingWrap = false;
      }
      const cells = line();
      while (cells.length < col) cells.push(' ');
      cells[col] = ch;
      if (col === cols - 1) pendingWrap = true;
      else col++;
    }
    line();
  }
  return lines.map((cells) => (cells ?? []).join('').trimEnd());
}

/** The frames ink drew (between its synchronized-update markers), escape sequences removed. */
export function framesOf(raw: string): string[] {
  return raw
    .split('\x1b[?2026h')
    .slice(1)
    .map((frame) => frame.split('\x1b[?2026l')[0]!.replace(/\x1b\[[0-9;?]*[A-Za-z]/gu, ''));
}

/** Output with escape sequences removed and CRLF turned into LF, for text searches. */
export function plainText(raw: string): string {
  return raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/gu, '').replace(/\r\n/gu, '\n');
}
