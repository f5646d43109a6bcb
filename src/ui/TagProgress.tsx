import type * as Ink from 'ink';
import { truncateWidth, truncateWidthStart } from './width.js';

export interface TagProgressProps {
  /** Photos this run will work on: known up front (tag) or still growing (scan). */
  found: number;
  /** True while a scan still walks: no ETA yet, the total may grow. */
  finding: boolean;
  done: number;
  skipped: number;
  failed: number;
  /** Photos in progress and what is being done to each. */
  active: { file: string; stage: string }[];
  /** When the first photo was started, and how many started photos have finished since (the rate's basis). */
  firstStartedAt?: number;
  worked: number;
  now: number;
  tokens: number;
  cost: number;
  /** Lines printed once above the progress (finished photos, notices); ink's Static renders only a NEW array. */
  lines: { key: number; text: string }[];
  /** Ctrl-C (or a closed output) was received: the photos in progress finish, nothing new starts. */
  stopping?: boolean;
  /** The terminal's size; 0 (a 0×0 pseudo-terminal) means unknown. */
  columns: number;
  rows: number;
  summary?: string;
}

/** The terminal's width for layout: a 0×0 pty reports 0, which would put one character on each line. */
export function usableColumns(columns: number | undefined): number {
  return columns && columns > 0 ? columns : 80;
}

export function usableRows(rows: number | undefined): number {
  return rows && rows > 0 ? rows : 24;
}

export interface StatusText {
  filled: number;
  empty: number;
  /** The rest of the first line, after the bar. */
  head: string;
  counts: string;
  active: string[];
}

/**
 * The progress as plain strings, each fitting the terminal's width (never wrapped): the bar line, the counts
 * line, and one line per photo in progress (as many as fit, then "… and N more").
 */
export function statusText(props: TagProgressProps): StatusText {
  const columns = usableColumns(props.columns) - 1; // the last column would make some terminals wrap
  const rows = usableRows(props.rows);
  const finished = props.done + props.skipped + props.failed;
  const inProgress = props.active.length;
  // Photos being read, analyzed or written are in progress, not queued.
  const queued = Math.max(0, props.found - finished - inProgress);
  const elapsed = props.firstStartedAt === undefined ? 0 : Math.max(1, props.now - props.firstStartedAt) / 1000;
  const rate = elapsed > 0 ? props.worked / elapsed : 0;
  const left = queued + inProgress;
  const eta = rate > 0 && !props.finding && left > 0 ? Math.round(left / rate) : undefined;
  const barWidth = Math.max(0, Math.min(28, columns - 40));
  const fraction = props.found > 0 ? Math.min(1, finished / props.found) : 0;
  const filled = Math.round(fraction * barWidth);
  const headParts = [`${finished}/${props.found}${props.finding ? '+ found' : ''}`];
  if (props.stopping) headParts.push(`stopping: finishing ${inProgress} in progress`);
  else {
    if (rate > 0) headParts.push(`${rate.toFixed(2)}/s`);
    if (eta !== undefined) headParts.push(`ETA ${formatSeconds(eta)}`);
    else if (props.finding) headParts.push('walking…');
  }
  const head = truncateWidth(`${barWidth > 0 ? ' ' : ''}${headParts.join(' · ')}`, columns - barWidth);
  const counts = truncateWidth(
    [
      `${props.done} done`,
      `${props.skipped} skipped`,
      `${props.failed} failed`,
      `${queued} queued`,
      `${props.tokens} tokens`,
      `$${props.cost.toFixed(4)}`,
    ].join(' · '),
    columns,
  );
  // The whole frame must stay shorter than the terminal: ink clears the screen (scrollback too) otherwise.
  const room = Math.max(0, Math.min(8, rows - 4));
  const shown = props.active.length > room ? Math.max(0, room - 1) : props.active.length;
  const active = props.active.slice(0, shown).map((item) => {
    const prefix = `  ${item.stage} `;
    return prefix + truncateWidthStart(item.file, columns - prefix.length);
  });
  if (shown < props.active.length) active.push(truncateWidth(`  … and ${props.active.length - shown} more in progress`, columns));
  return { filled, empty: barWidth - filled, head, counts, active };
}

/**
 * Progress of a run: finished photos scroll above, the bar and the photos in progress stay below.
 * ink is ESM-only and costly to load, so its components are passed in by the caller that imported it.
 */
export function makeTagProgress({ Box, Static, Text }: typeof Ink) {
  return function TagProgress(props: TagProgressProps) {
    const status = statusText(props);
    return (
      <Box flexDirection="column">
        <Static items={props.lines}>{(line) => <Text key={line.key}>{line.text}</Text>}</Static>
        {props.summary ? (
          <Text bold>{props.summary}</Text>
        ) : (
          <Box flexDirection="column">
            <Text wrap="truncate-end">
              <Text color="green">{'█'.repeat(status.filled)}</Text>
              <Text dimColor>{'░'.repeat(status.empty)}</Text>
              {status.head}
            </Text>
            <Text wrap="truncate-end">{status.counts}</Text>
            {status.active.map((line, i) => (
              <Text key={i} dimColor wrap="truncate-end">
                {line}
              </Text>
            ))}
          </Box>
        )}
      </Box>
    );
  };
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60
    ? `${minutes}m${String(seconds % 60).padStart(2, '0')}s`
    : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
