/**
 * A job that can never succeed however often it is retried (an invalid payload, a missing
 * execution): the BullMQ adapter turns it into BullMQ's UnrecoverableError.
 */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}
