import type * as Ink from 'ink';
import { tableLines, type Section } from './stats-format.js';
import { truncateWidth } from './width.js';

/**
 * The stats as tables on a terminal: a bold title per section, a dim header, then the rows. Each row is one
 * line laid out by display width and cut to the terminal's width: ink's flex boxes would shrink a column
 * under a long cell and wrap it, and measure a CJK cell by its UTF-16 length.
 */
export function makeStatsView({ Box, Text }: typeof Ink) {
  return function StatsView({ sections, columns }: { sections: Section[]; columns: number }) {
    return (
      <Box flexDirection="column">
        {sections.map((section) => {
          const [header, ...rows] = tableLines(section, columns);
          return (
            <Box key={section.title} flexDirection="column" marginBottom={1}>
              <Text bold wrap="truncate-end">
                {truncateWidth(section.title, columns)}
              </Text>
              <Text dimColor wrap="truncate-end">
                {header}
              </Text>
              {rows.map((row, i) => (
                <Text key={i} wrap="truncate-end">
                  {row}
                </Text>
              ))}
            </Box>
          );
        })}
      </Box>
    );
  };
}
