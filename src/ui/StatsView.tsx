import type * as Ink from 'ink';
import type { Section } from './stats-format.js';

/** The stats as ink tables: a bold title per section, dim headers, right-aligned numbers. */
export function makeStatsView({ Box, Text }: typeof Ink) {
  return function StatsView({ sections }: { sections: Section[] }) {
    return (
      <Box flexDirection="column">
        {sections.map((section) => {
          const widths = section.header.map((h, i) => Math.max(h.length, ...section.rows.map((r) => (r[i] ?? '').length)));
          return (
            <Box key={section.title} flexDirection="column" marginBottom={1}>
              <Text bold>{section.title}</Text>
              {[section.header, ...section.rows].map((cells, row) => (
                <Box key={row}>
                  {cells.map((cell, i) => (
                    <Box
                      key={i}
                      width={i === cells.length - 1 ? undefined : widths[i]! + 2}
                      justifyContent={section.numeric.includes(i) ? 'flex-end' : 'flex-start'}
                      paddingRight={section.numeric.includes(i) ? 2 : 0}
                    >
                      <Text
                        dimColor={row === 0}
                        color={cell.startsWith('█') || cell.startsWith('▏') ? 'green' : undefined}
                        wrap="truncate-end"
                      >
                        {cell}
                      </Text>
                    </Box>
                  ))}
                </Box>
              ))}
            </Box>
          );
        })}
      </Box>
    );
  };
}
