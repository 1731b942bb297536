import {
  type EvaluationContext,
  FlagNotFoundError,
  GeneralError,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
  StandardResolutionReasons,
  TypeMismatchError,
} from '@openfeature/server-sdk';

/** Why Plugboard gave a flag its value: the template's default, the account's override, or forced off while its connection is not connected. */
export type PlugboardFlagSource = 'default' | 'override' | 'not_connected';

export interface PlugboardFlagProviderOptions {
  /** Where Plugboard answers, e.g. `https://plugboard.example.com`. */
  baseUrl: string;
  /**
   * The account's API key (`pb_live_…`, holding `account.view` or `integrations.view`) or a member JWT.
   * A function picks one per evaluation context: one Plugboard account per tenant of the host platform.
   */
  token: string | ((context: EvaluationContext) => string | Promise<string>);
  /** `test` evaluates the account's test-mode flags with a member JWT (API keys act in their own mode). */
  mode?: 'live' | 'test';
  /** How long an account's values are reused before Plugboard is asked again (default 30 s; 0: every time). */
  cacheTtlMs?: number;
  /** Deadline of a request to Plugboard (default 5 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface FlagValues {
  values: Record<string, boolean>;
  sources: Record<string, PlugboardFlagSource>;
}

const REASONS: Record<PlugboardFlagSource, string> = {
  default: StandardResolutionReasons.DEFAULT,
  override: StandardResolutionReasons.TARGETING_MATCH,
  not_connected: StandardResolutionReasons.DISABLED,
};

/**
 * Plugboard's integration feature flags (`integrations.<provider>`, and the operator's own) for an
 * OpenFeature client. Every flag is a boolean; the values of all of an account's flags come from one
 * `GET /v1/feature-flags/evaluate` and are reused for `cacheTtlMs`, and concurrent evaluations share
 * one request. An unknown flag, another type, or Plugboard not answering gives the caller's default
 * with the error OpenFeature defines (`FLAG_NOT_FOUND`, `TYPE_MISMATCH`, `GENERAL`).
 */
export class PlugboardFlagProvider implements Provider {
  readonly metadata = { name: 'Plugboard' } as const;
  readonly runsOn = 'server' as const;
  private readonly cache = new Map<string, { expiresAt: number; values: Promise<FlagValues> }>();
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: PlugboardFlagProviderOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** With one token, the first values are read before the provider reports ready. */
  async initialize(): Promise<void> {
    if (typeof this.options.token === 'string') await this.valuesFor({});
  }

  async onClose(): Promise<void> {
    this.cache.clear();
  }

  async resolveBooleanEvaluation(flagKey: string, _defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    const { values, sources } = await this.valuesFor(context);
    const value = values[flagKey];
    const source = sources[flagKey];
    if (value === undefined || source === undefined) throw new FlagNotFoundError(`Plugboard has no flag "${flagKey}"`);
    return { value, variant: value ? 'on' : 'off', reason: REASONS[source], flagMetadata: { source } };
  }

  resolveStringEvaluation(flagKey: string): Promise<ResolutionDetails<string>> {
    return Promise.reject(new TypeMismatchError(`Plugboard flags are booleans: "${flagKey}" is not a string`));
  }

  resolveNumberEvaluation(flagKey: string): Promise<ResolutionDetails<number>> {
    return Promise.reject(new TypeMismatchError(`Plugboard flags are booleans: "${flagKey}" is not a number`));
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string): Promise<ResolutionDetails<T>> {
    return Promise.reject(new TypeMismatchError(`Plugboard flags are booleans: "${flagKey}" is not an object`));
  }

  private async valuesFor(context: EvaluationContext): Promise<FlagValues> {
    const token = typeof this.options.token === 'string' ? this.options.token : await this.options.token(context);
    const ttl = this.options.cacheTtlMs ?? 30_000;
    const cached = this.cache.get(token);
    if (cached && cached.expiresAt > Date.now()) return cached.values;
    const values = this.request(token);
    if (ttl > 0) {
      this.cache.set(token, { expiresAt: Date.now() + ttl, values });
      // A failed read is not kept: the next evaluation asks again.
      values.catch(() => this.cache.get(token)?.values === values && this.cache.delete(token));
    }
    return values;
  }

  private async request(token: string): Promise<FlagValues> {
    let response: Response;
    try {
      response = await this.fetch(`${this.baseUrl}/v1/feature-flags/evaluate`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(this.options.mode ? { 'plugboard-mode': this.options.mode } : {}) },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
    } catch (error) {
      throw new GeneralError(`Plugboard did not answer: ${(error as Error).message}`);
    }
    const body = (await response.json().catch(() => undefined)) as (Partial<FlagValues> & { code?: string; detail?: string }) | undefined;
    if (!response.ok || !body?.values || !body.sources) {
      throw new GeneralError(`Plugboard answered ${response.status}${body?.code ? ` ${body.code}` : ''}${body?.detail ? `: ${body.detail}` : ''}`);
    }
    return { values: body.values, sources: body.sources };
  }
}
