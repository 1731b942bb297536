import type { TransactionEventArgs } from '@mikro-orm/core';

/**
 * Whether a transaction event is a savepoint's (MikroORM types a transaction as `any`; a savepoint
 * carries its name). A released savepoint is not a commit: its rows become visible with the outer one.
 */
export function isSavepoint(args: TransactionEventArgs): boolean {
  return !!(args.transaction as { savepointName?: string } | undefined)?.savepointName;
}
