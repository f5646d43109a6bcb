import type * as Ink from 'ink';
import type { PhotoOutcome } from '../core/types.js';

export interface TagProgressProps {
  total: number;
  finished: PhotoOutcome[];
  /** Photos in progress and what is being done to each. */
  active: { file: string; stage: string }[];
  startedAt: number;
  now: number;
  tokens: number;
  cost: number;
  lines: string[];
  summary?: string;
}

const BAR_WIDTH = 28;

/**
 * Progress of a tagging run: finished photos scroll above, the bar and the photos in progress stay below.
 * ink is ESM-only and costly to load, so its components are passed in by the caller that imported it.
 */
export function makeTagProgress({ Box, Static, Text }: typeof Ink) {
  return function TagProgress(props: TagProgressProps) {
    const done = props.finished.length;
    const fraction = props.total > 0 ? done / props.total : 1;
    const filled = Math.round(fraction * BAR_WIDTH);
    const elapsed = Math.max(1, props.now - props.startedAt) / 1000;
    const rate = done / elapsed;
    const eta = rate > 0 ? Math.round((props.total - done) / rate) : undefined;
    return (
      <Box flexDirection="column">
        <Static items={props.lines.map((line, i) => ({ line, i }))}>{(item) => <Text key={item.i}>{item.line}</Text>}</Static>
        {props.summary ? (
          <Text bold>{props.summary}</Text>
        ) : (
          <Box flexDirection="column">
            <Text>
              <Text color="green">{'█'.repeat(filled)}</Text>
              <Text dimColor>{'░'.repeat(BAR_WIDTH - filled)}</Text> {done}/{props.total} · {rate.toFixed(2)} photos/s
              {eta !== undefined && done < props.total ? ` · ETA ${formatSeconds(eta)}` : ''} · {props.tokens} tokens · ${props.cost.toFixed(4)}
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
  return minutes < 60 ? `${minutes}m${String(seconds % 60).padStart(2, '0')}s` : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
