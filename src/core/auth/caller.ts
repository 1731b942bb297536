import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ValidationFailedError } from '../errors/app-errors.js';

/**
 * The authenticated, authorized caller of a request: every account-scoped service method takes it,
 * and every query filters by its account and livemode.
 */
export interface Caller {
  kind: 'member' | 'api_key';
  userId?: string;
  apiKeyId?: string;
  instanceAdmin: boolean;
  /** Set for account-scoped calls; instance-only member tokens have none. */
  accountId?: string;
  livemode: boolean;
  role: string | null;
  permissions: ReadonlySet<string>;
  plan?: string;
  /** An API key's MCP tool allow-list (names, or prefixes ending in `*`); absent: no limit beyond permissions. */
  mcpTools?: readonly string[];
}

/** A caller known to act on an account. */
export type AccountCaller = Caller & { accountId: string; plan: string };

export const CurrentCaller = createParamDecorator((_data: unknown, context: ExecutionContext): Caller => {
  const request = context.switchToHttp().getRequest<Request & { caller?: Caller }>();
  if (!request.caller) throw new Error('CurrentCaller used on a route without authorization');
  return request.caller;
});

export function actorOf(caller: Caller): { actorType: 'member' | 'api_key'; actorId: string } {
  return caller.kind === 'member' ? { actorType: 'member', actorId: caller.userId! } : { actorType: 'api_key', actorId: caller.apiKeyId! };
}

/**
 * The mode a request asks for with its `Plugboard-Mode` header (case-insensitive; absent: the
 * credential's own mode, live for members). Anything else is refused rather than read as live, so a
 * typo never sends test traffic to live data.
 */
export function requestedMode(header: string | undefined): 'live' | 'test' | undefined {
  if (header === undefined) return undefined;
  const mode = header.trim().toLowerCase();
  if (mode === 'live' || mode === 'test') return mode;
  throw new ValidationFailedError('The Plugboard-Mode header must be live or test', [{ path: 'Plugboard-Mode', message: 'must be live or test' }]);
}
