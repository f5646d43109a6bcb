import type * as Ink from 'ink';

export interface TagProgressProps {
  /** Photos this run will work on: known up front (tag) or still growing (scan). */
  found: number;
  finding: boolean;
  done: number;
  skipped: number;
  failed: number;
  /** Photos in progress and what is being done to each. */
  active: { file: string; stage: string }[];
  startedAt: number;
  now: number;
  tokens: number;
  cost: number;
  /** Lines printed once above the progress (finished photos, notices); ink's Static renders only new ones. */
  lines: { key: number; text: string }[];
  summary?: string;
}

const BAR_WIDTH = 28;

/**
 * Progress of a run: finished photos scroll above, the bar and the photos in progress stay below.
 * ink is ESM-only and costly to load, so its components are passed in by the caller that imported it.
 */
export function makeTagProgress({ Box, Static, Text }: typeof Ink) {
  return function TagProgress(props: TagProgressProps) {
    const finished = props.done + props.skipped + props.failed;
    const fraction = props.found > 0 ? finished / props.found : 0;
    const filled = Math.round(Math.min(1, fraction) * BAR_WIDTH);
    const elapsed = Math.max(1, props.now - props.startedAt) / 1000;
    const rate = finished / elapsed;
    const queued = Math.max(0, props.found - finished);
    const eta = rate > 0 && !props.finding ? Math.round(queued / rate) : undefined;
    return (
      <Box flexDirection="column">
        <Static items={props.lines}>{(line) => <Text key={line.key}>{line.text}</Text>}</Static>
        {props.summary ? (
          <Text bold>{props.summary}</Text>
        ) : (
          <Box flexDirection="column">
            <Text>
              <Text color="green">{'█'.repeat(filled)}</Text>
              <Text dimColor>{'░'.repeat(BAR_WIDTH - filled)}</Text> {finished}/{props.found}
              {props.finding ? '+ found' : ''} · {props.done} done · {props.skipped} skipped · {props.failed} failed · {queued} queued ·{' '}
              {rate.toFixed(2)}/s
              {eta !== undefined && queued > 0 ? ` · ETA ${formatSeconds(eta)}` : ''} · {props.tokens} tokens · ${props.cost.toFixed(4)}
            </Text>
            {props.active.map((item) => (
              <Text key={item.file} dimColor>
                {'  '}
                {item.stage} {item.file}
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
