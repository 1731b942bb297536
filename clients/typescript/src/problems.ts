import type { components } from './generated/openapi.js';

/** An RFC 9457 problem as Plugboard answers it. */
export type Problem = components['schemas']['Problem'];
/** The machine-readable reasons Plugboard answers with: branch on these, never on `detail`. */
export type ProblemCode = Problem['code'];

/** A failed request: its status and whatever body came with it. */
export class PlugboardError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly requestId?: string,
    message = `Plugboard answered ${status}`,
  ) {
    super(message);
    this.name = 'PlugboardError';
  }
}

/** A problem+json answer from Plugboard, with its `code` (and, per code, `errors`, `permission`, `plan`, …). */
export class PlugboardProblem extends PlugboardError {
  readonly code: ProblemCode;
  readonly detail: string;
  /** validation_failed: each bad field. */
  readonly errors: { path: string; message: string }[];
  /** Seconds the answer asked to wait (429, 503), when it said. */
  readonly retryAfter?: number;

  constructor(
    readonly problem: Problem,
    retryAfter: number | undefined,
  ) {
    super(problem.status, problem, problem.requestId, `${problem.code}: ${problem.detail}`);
    this.name = 'PlugboardProblem';
    this.code = problem.code;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
    this.retryAfter = retryAfter;
  }
}

/** The problem in a failed answer, or undefined when it is not Plugboard's problem+json (a provider's answer through the proxy). */
export async function readError(response: Response): Promise<PlugboardProblem | undefined> {
  if (!(response.headers.get('content-type') ?? '').startsWith('application/problem+json')) return undefined;
  const problem = (await response.clone().json()) as Problem;
  const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
  return new PlugboardProblem(problem, Number.isFinite(retryAfter) ? retryAfter : undefined);
}
