import { ApiClientError } from '../../api/client.js';

/**
 * Awaits a call to an admin route and turns its 403 `forbidden` (the token is a plain user's) into
 * a message that says what to do; exit status 5, as for a refused token.
 */
export async function asAdmin<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ApiClientError && error.status === 403) {
      throw new ApiClientError('unauthorized', 'this needs an admin token: the token in use (PLZ_TOKEN or "token" in plz.config.json) belongs to a user who is not an admin', 403, error.code ?? 'forbidden', undefined, 'ask an admin to run it, or to make you one');
    }
    throw error;
  }
}
