// RFC 4180 CSV: a field is quoted when it holds a comma, a quote, CR or LF, or starts or ends with a space
// (which some readers trim); quotes inside are doubled. Lines end in CRLF. null is an empty field.
//
// Exports are opened in spreadsheets, which run a text cell starting with = + - @ tab or CR as a formula
// (CSV/formula injection: a team, key or model name like `=HYPERLINK(...)` would run on the operator's
// machine). Such text is written as OWASP recommends: prefixed with a single quote and quoted. Numbers are
// never guarded, and neither is text that is a plain numeral (`-0.000012`, a correction's negative delta
// formatted in USD), so amounts stay numbers a spreadsheet can add up.

export type CsvValue = string | number | bigint | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMERAL = /^-?\d+(\.\d+)?$/;

/** Whether a text cell would be read as a formula by Excel, LibreOffice or Google Sheets. */
export function isFormulaLike(s: string): boolean {
  return FORMULA_START.test(s) && !PLAIN_NUMERAL.test(s);
}

export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'string') return String(v);
  if (isFormulaLike(v)) return `"'${v.replace(/"/g, '""')}"`;
  return /[",\r\n]|^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/**
 * Parses CSV text back into rows (for tests, for reading exports back and for providers' exports in the
 * reconciliation); the inverse of csvLine except for the guard's leading quote, which it keeps (a provider's
 * export is read exactly as written).
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
