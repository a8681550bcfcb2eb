/**
 * CSV for spreadsheets and SIEM imports (RFC 4180: comma-separated, CRLF line ends, fields with a comma, quote,
 * CR or LF quoted, quotes doubled). A cell that a spreadsheet would read as a formula (starting with =, +, -, @,
 * a tab or a CR) is prefixed with an apostrophe, so a login name or message such as `=cmd|'/c calc'!A1` stays
 * text when an operator opens the export (OWASP "CSV injection").
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(values: readonly (string | number | boolean | null | undefined)[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
