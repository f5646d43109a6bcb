/** RFC 4180 CSV: fields with a comma, quote, CR or LF are quoted, quotes doubled; lines end in CRLF. */
export function toCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}

function field(value: string): string {
  return /[",\r\n]/u.test(value) ? `"${value.replace(/"/gu, '""')}"` : value;
}

/** One parsed row and the line of the file it starts on (a quoted cell may span lines). */
export interface CsvRow {
  cells: string[];
  line: number;
}

/** Parse RFC 4180 CSV (quoted fields may hold commas, quotes and newlines); a UTF-8 BOM is ignored. */
export function parseCsv(text: string, delimiter = ','): string[][] {
  return parseCsvRows(text, delimiter).map((row) => row.cells);
}

/**
 * The rows with their line numbers. `delimiter` is `,` or, as Excel writes CSV in most European locales
 * (Russian included), `;`. A quote left open at the end of the file is an error naming the line it opened on.
 */
export function parseCsvRows(text: string, delimiter = ','): CsvRow[] {
  const rows: CsvRow[] = [];
  let row: string[] = [];
  let value = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let quoteLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        value += '"';
        i++;
      } else if (char === '"') quoted = false;
      else {
        if (char === '\n') line++;
        value += char;
      }
    } else if (char === '"') {
      quoted = true;
      quoteLine = line;
    } else if (char === delimiter) {
      row.push(value);
      value = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(value);
      rows.push({ cells: row, line: rowLine });
      row = [];
      value = '';
      line++;
      rowLine = line;
    } else value += char;
  }
  if (quoted) throw new CsvError(quoteLine, 'a quoted cell is never closed (a stray " in it?)');
  if (value !== '' || row.length > 0) {
    row.push(value);
    rows.push({ cells: row, line: rowLine });
  }
  return rows.filter((r) => r.cells.length > 1 || r.cells[0] !== '');
}

export class CsvError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}
