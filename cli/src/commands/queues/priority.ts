import { Argument, Command } from 'commander';
import { priorities, Priority, type ExecutionStatus, type SetPriorityRequest } from '@plz/contracts';
import { executionIdOrLast, openServerSession } from '../common.js';
import { statusText } from './format.js';

/**
 * `plz priority <level> [ID]`: moves a queued execution to another priority
 * (`PUT /api/v1/executions/{id}/priority`) and prints its status as `plz status` does. The
 * deployment refuses an execution that is no longer queued (409 `not_queued`), another user's
 * (403 `forbidden`) and `high` beyond a non-admin's allowance (403 `priority_not_allowed`).
 */
export function priorityCommand(): Command {
  return new Command('priority')
    .description("change a queued execution's priority in its queue")
    .addArgument(new Argument('<level>', 'the new priority (high: for admins, or within your allowance)').choices(priorities))
    .argument('[id]', 'execution id (default: your last execution)')
    .action(async function (this: Command, level: string, id: string | undefined) {
      const request: SetPriorityRequest = { priority: Priority.parse(level) };
      const { api, printer } = openServerSession(this);
      const status = await api.json<ExecutionStatus>('PUT', `/api/v1/executions/${await executionIdOrLast(api, id)}/priority`, { json: request });
      printer.result(status, statusText(status));
    });
}
