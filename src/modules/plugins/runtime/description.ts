/**
 * What the host knows about a plugin without running its code: the serialisable description of its
 * exported definition. Built where the plugin code runs (a child process or the API process), so it
 * must stay structured-clone friendly. Erasable TypeScript only: loaded as-is by sandboxed children.
 */
import { checkDeclarations, compileProvider, type JSONSchema, type ProviderAuth, type ProviderCategory, type ProviderDefinition } from '../../../sdk/index.js';

/** Where a plugin's code is on disk. */
export interface PluginLocation {
  name: string;
  version: string;
  /** The plugin's directory (real path). */
  dir: string;
  /** The entry file (absolute). */
  entry: string;
  /** The host process it shares with plugins of the same trust (see PluginRecord.host); its own when absent. */
  host?: string;
}

export interface ActionDescription {
  name: string;
  description: string;
  inputSchema: JSONSchema;
  outputSchema?: JSONSchema;
}

/** The provider's data as declared; its functions become presence flags and action descriptions. */
export interface ProviderDescription extends Pick<
  ProviderDefinition,
  'id' | 'name' | 'category' | 'description' | 'auth' | 'settingsSchema' | 'connectionInputs' | 'baseUrl' | 'rateLimits'
> {
  verify: boolean;
  healthCheck: boolean;
  actions: ActionDescription[];
  /** Event types `onEvent` reacts to. */
  events: string[];
  sync: { defaultFrequency?: string } | null;
  webhook: boolean;
  /** Whether the webhook answers some requests itself (`webhook.reply`). */
  webhookReply?: boolean;
}

export interface PluginDescription {
  providers: ProviderDescription[];
}

/** Thrown when a module's default export is not a plugin definition; the message lists every problem. */
export class GarbageExportError extends Error {
  readonly code = 'invalid_definition';
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Plain data only: schemas and auth must survive a process boundary unchanged. */
function plainData(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/**
 * Describes a module's default export. Shape problems that only the code reveals (functions that are
 * not functions) are reported here; the data (ids, schemas, categories) is validated by the host.
 */
export function describeDefinition(exported: unknown): PluginDescription {
  if (!isObject(exported) || !Array.isArray(exported.providers)) {
    throw new GarbageExportError('the default export must be definePlugin({ providers: [...] })');
  }
  const problems: string[] = [];
  const providers = exported.providers.map((declared: unknown, index: number): ProviderDescription => {
    const at = `providers[${index}]`;
    if (!isObject(declared)) {
      problems.push(`${at} must be an object`);
      return undefined as never;
    }
    // SDK 1.1 declarations are checked, then described as the functions they compile to.
    let provider: Record<string, unknown> = declared;
    try {
      problems.push(...checkDeclarations(declared as unknown as ProviderDefinition));
      provider = compileProvider(declared as unknown as ProviderDefinition) as unknown as Record<string, unknown>;
    } catch (error) {
      problems.push(`${at} has declarations that cannot be read: ${(error as Error).message}`);
    }
    const fn = (name: string, value: unknown) => {
      if (value !== undefined && typeof value !== 'function') problems.push(`${at}.${name} must be a function`);
      return typeof value === 'function';
    };
    const actions: ActionDescription[] = [];
    if (provider.actions !== undefined) {
      if (!isObject(provider.actions)) problems.push(`${at}.actions must be an object`);
      else
        for (const [name, action] of Object.entries(provider.actions)) {
          if (!isObject(action) || typeof action.run !== 'function') {
            problems.push(`${at}.actions.${name}.run must be a function`);
            continue;
          }
          actions.push({
            name,
            description: action.description as string,
            inputSchema: plainData(action.inputSchema) as JSONSchema,
            ...(action.outputSchema === undefined ? {} : { outputSchema: plainData(action.outputSchema) as JSONSchema }),
          });
        }
    }
    const events: string[] = [];
    if (provider.onEvent !== undefined) {
      if (!isObject(provider.onEvent)) problems.push(`${at}.onEvent must be an object`);
      else
        for (const [event, handler] of Object.entries(provider.onEvent)) {
          if (fn(`onEvent.${event}`, handler)) events.push(event);
        }
    }
    let sync: ProviderDescription['sync'] = null;
    if (provider.sync !== undefined) {
      if (!isObject(provider.sync) || typeof provider.sync.run !== 'function') problems.push(`${at}.sync.run must be a function`);
      else sync = provider.sync.defaultFrequency === undefined ? {} : { defaultFrequency: provider.sync.defaultFrequency as string };
    }
    let webhook = false;
    if (provider.webhook !== undefined) {
      if (!isObject(provider.webhook) || typeof provider.webhook.verify !== 'function' || typeof provider.webhook.toEvents !== 'function') {
        problems.push(`${at}.webhook must have verify and toEvents functions`);
      } else webhook = true;
    }
    const webhookReply = webhook && typeof (provider.webhook as Record<string, unknown>).reply === 'function';
    return {
      id: provider.id as string,
      name: provider.name as string,
      category: provider.category as ProviderCategory,
      description: provider.description as string,
      auth: plainData(provider.auth) as ProviderAuth,
      ...(provider.settingsSchema === undefined ? {} : { settingsSchema: plainData(provider.settingsSchema) as JSONSchema }),
      ...(provider.connectionInputs === undefined ? {} : { connectionInputs: plainData(provider.connectionInputs) as JSONSchema }),
      ...(provider.baseUrl === undefined ? {} : { baseUrl: provider.baseUrl as string }),
      ...(provider.rateLimits === undefined ? {} : { rateLimits: plainData(provider.rateLimits) as ProviderDescription['rateLimits'] }),
      verify: fn('verify', provider.verify),
      healthCheck: fn('healthCheck', provider.healthCheck),
      actions,
      events,
      sync,
      webhook,
      ...(webhookReply ? { webhookReply } : {}),
    };
  });
  if (problems.length > 0) throw new GarbageExportError(problems.join('; '));
  return { providers };
}
