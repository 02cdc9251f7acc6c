/**
 * The README's benchmark table, filled by each benchmark as it reports (one row per figure) and
 * printed as markdown at the end of `npm run bench`, so the README's table is this output pasted.
 */
export interface SummaryRow {
  id: string;
  what: string;
  goal: string;
  result: string;
}

const rows: SummaryRow[] = [];

export function summarize(row: SummaryRow): void {
  rows.push(row);
}

export function summaryTable(): string[] {
  return ['| | what | goal | result |', '|---|---|---|---|', ...rows.map((r) => `| ${r.id} | ${r.what} | ${r.goal} | ${r.result} |`)];
}
