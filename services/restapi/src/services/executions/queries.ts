import { ExecutionState, type ExecutionStatus, type MeasuresResponse } from '@plz/contracts';
import { z } from 'zod';
import { AppError, notFound } from '../../errors.js';
import type { ExecutionFilter, ExecutionsRepository, ListPosition, ReadOptions, StoredExecution } from '../../repositories/executions.js';
import type { QueueView } from './queue-view.js';

/** Query of `GET /api/v1/executions`. */
export const ListQuery = z
  .object({
    project: z.string().min(1).max(100).optional(),
    user: z.string().min(1).max(64).optional(),
    /** One state or several separated by commas. */
    state: z
      .string()
      .transform((text) => text.split(',').map((part) => part.trim()))
      .pipe(z.array(ExecutionState).min(1))
      .optional(),
    since: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
    until: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
    sweep_id: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();
export type ListQuery = z.infer<typeof ListQuery>;

const Cursor = z.tuple([z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/), z.uuid()]);

/** Opaque cursor text (base64url JSON) of a list position. */
export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

/** @throws AppError `bad_request` for text that encodeCursor did not make. */
export function decodeCursor(text: string): ListPosition {
  try {
    const [createdAt, id] = Cursor.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    return { createdAt, id };
  } catch {
    throw new AppError('bad_request', 'invalid cursor: pass back the next_cursor of a previous page', [{ path: 'query.cursor', message: 'invalid cursor' }]);
  }
}

/** Read use cases of executions: describe, status, list, measures. */
export class ExecutionQueries {
  constructor(
    private readonly executions: ExecutionsRepository,
    private readonly queues: QueueView,
  ) {}

  /** The execution. @throws AppError `not_found`. */
  async get(id: string): Promise<StoredExecution> {
    const found = await this.executions.find(id);
    if (!found) throw notFound('execution', id);
    return found;
  }

  /**
   * The execution's short status; with `withPosition`, a queued one's place in its queue too
   * (QueueView.position: a read of the queue's waiting rows, so pollers leave it out).
   * @throws AppError `not_found`.
   */
  async status(id: string, withPosition = false): Promise<ExecutionStatus> {
    const found = await this.executions.status(id);
    if (!found) throw notFound('execution', id);
    if (!withPosition || found.state !== 'queued') return found;
    const position = await this.queues.position(found.queue, id);
    // taken meanwhile: the state now, rather than a position it no longer has
    return position ? { ...found, queue_position: position } : ((await this.executions.status(id)) ?? found);
  }

  /** A page of executions, newest first, and the cursor of the next page (null on the last); `options.measures: false` leaves measures out (null: the web view's list). */
  async list(query: ListQuery, options: ReadOptions = {}): Promise<{ executions: StoredExecution[]; next_cursor: string | null }> {
    const filter: ExecutionFilter = {
      ...(query.project ? { project: query.project } : {}),
      ...(query.user ? { user: query.user } : {}),
      ...(query.state ? { states: query.state } : {}),
      ...(query.since ? { since: new Date(query.since) } : {}),
      ...(query.until ? { until: new Date(query.until) } : {}),
      ...(query.sweep_id ? { sweepId: query.sweep_id } : {}),
    };
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const { rows, next } = await this.executions.list(filter, query.limit, after, options);
    return { executions: rows, next_cursor: next ? encodeCursor(next) : null };
  }

  /**
   * Measures of the execution (as harvested by its worker; null before), or only its summary.
   * @throws AppError `not_found`.
   */
  async measures(id: string, summaryOnly: boolean): Promise<MeasuresResponse> {
    const found = await this.get(id);
    return summaryOnly
      ? { id, state: found.state, summary: found.summary }
      : { id, state: found.state, measures: found.measures, summary: found.summary };
  }
}
