import { UniqueConstraintViolationException } from '@mikro-orm/postgresql';

/**
 * Runs `work` (which reads a row and creates it when missing) a second time when a concurrent request
 * created the same unique row first: the second run finds it and changes it instead.
 */
export async function retryAfterConcurrentInsert<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    return work();
  }
}
