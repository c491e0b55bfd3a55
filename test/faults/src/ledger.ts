import type { ExecutionStatus } from '@plz/contracts';

/** How one execution accepted by the REST API came out, as the fault suite judges it. */
export type Verdict =
  /** `succeeded`, its output file and measures equal to what its parameters give (sha256). */
  | 'succeeded'
  /** A terminal state other than `succeeded` with a non-empty `error`. */
  | 'ended with a reason'
  /** Missing (404), ended without a reason, or succeeded with wrong or missing outputs or measures. */
  | 'lost'
  /** Not terminal when the deadline (5 minutes after the fault ended) passed. */
  | 'stuck';

/** The verdict on one execution and what it rests on. */
export interface Judged {
  id: string;
  verdict: Verdict;
  /** Its last status (undefined when never read or missing). */
  status: ExecutionStatus | undefined;
  /** Why it is lost or stuck, or the reason it ended with. */
  detail: string;
}

/** One row of the table: one fault. */
export interface FaultRow {
  fault: string;
  /** Executions sent to `POST /api/v1/executions`. */
  submitted: number;
  succeeded: number;
  endedWithReason: number;
  lost: number;
  stuck: number;
  /** Executions in state `succeeded`, and of those, how many had their output file and measures match by sha256. */
  succeededState: number;
  verified: number;
  /** Submits that got no 2xx with an id (connection error, 5xx): counted apart, not executions. */
  refused: number;
  /** Refused submits that the REST API recorded all the same (found by listing the fault's project); judged like the others. */
  recordedDespiteRefusal: number;
  /** Seconds from the first submit to the last verdict. */
  seconds: number;
  /** One line per execution that is not `succeeded`, and notes on the fault (who restarted what). */
  notes: string[];
}

/** Counts the verdicts into a row. */
export function rowOf(fault: string, submitted: number, refused: number, recordedDespiteRefusal: number, judged: readonly Judged[], seconds: number, notes: string[]): FaultRow {
  const count = (verdict: Verdict) => judged.filter((entry) => entry.verdict === verdict).length;
  return {
    fault,
    submitted,
    succeeded: count('succeeded'),
    endedWithReason: count('ended with a reason'),
    lost: count('lost'),
    stuck: count('stuck'),
    succeededState: judged.filter((entry) => entry.status?.state === 'succeeded').length,
    verified: count('succeeded'),
    refused,
    recordedDespiteRefusal,
    seconds,
    notes: [
      ...notes,
      ...judged.filter((entry) => entry.verdict !== 'succeeded').map((entry) => `${entry.verdict}: ${entry.id} ${entry.status?.state ?? '(no state)'}: ${entry.detail}`),
    ],
  };
}

const columns: Array<[string, (row: FaultRow) => string]> = [
  ['fault', (row) => row.fault],
  ['submitted', (row) => String(row.submitted)],
  ['succeeded', (row) => String(row.succeeded)],
  ['ended with a reason', (row) => String(row.endedWithReason)],
  ['lost', (row) => String(row.lost)],
  ['stuck', (row) => String(row.stuck)],
  ['outputs+measures verified', (row) => `${row.verified}/${row.succeededState}`],
  ['refused (recorded anyway)', (row) => (row.refused === 0 && row.recordedDespiteRefusal === 0 ? '0' : `${row.refused} (${row.recordedDespiteRefusal})`)],
  ['seconds', (row) => String(row.seconds)],
];

/** The table as Markdown: a header, one line per row; `withNotes` adds each row's notes below it. */
export function formatTable(rows: readonly FaultRow[], withNotes = false): string {
  const cells = rows.map((row) => columns.map(([, cell]) => cell(row)));
  const widths = columns.map(([title], i) => Math.max(title.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: string[]) => `| ${values.map((value, i) => value.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [line(columns.map(([title]) => title)), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`];
  rows.forEach((row, i) => {
    out.push(line(cells[i]!));
  });
  if (withNotes) {
    for (const row of rows.filter((r) => r.notes.length > 0)) {
      out.push('', `${row.fault}:`, ...row.notes.map((note) => `  - ${note}`));
    }
  }
  return out.join('\n');
}
