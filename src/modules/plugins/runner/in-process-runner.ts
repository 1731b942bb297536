import * as nodeModule from 'node:module';
import { pathToFileURL } from 'node:url';
import type { PluginContext, PluginDefinition } from '../../../sdk/index.js';
import { executeCall, type CallRequest } from '../runtime/call.js';
import { validateDescription } from '../plugin-manifest.js';
import { describeDefinition, type PluginDescription, type PluginLocation } from '../runtime/description.js';
import { createPluginHttp } from '../runtime/plugin-fetch.js';
import { FROM_SOURCES, sdkUrls } from './sdk-location.js';
import { CallDeadlineError, CallHooks, PluginLoadError, PluginRunner, type PluginHostStatus } from './plugin-runner.js';

let sdkResolutionInstalled = false;

/** Lets plugins loaded into this process import `plugboard/sdk` wherever they live. */
function installSdkResolution(): void {
  if (sdkResolutionInstalled) return;
  sdkResolutionInstalled = true;
  const { sdk, testing } = sdkUrls();
  // Node 22.15+; a namespace import keeps older runtimes able to start with PLUGIN_ISOLATION=process.
  const { registerHooks } = nodeModule as Partial<typeof nodeModule>;
  if (!registerHooks) throw new Error('PLUGIN_ISOLATION=none needs Node.js 22.15 or later (module.registerHooks)');
  try {
    registerHooks({
      resolve(specifier, context, nextResolve) {
        if (specifier === 'plugboard/sdk') return { url: sdk, shortCircuit: true };
        if (specifier === 'plugboard/sdk/testing') return { url: testing, shortCircuit: true };
        return nextResolve(specifier, context);
      },
    });
  } catch (error) {
    // Module loaders that refuse hooks (Jest) resolve the SDK themselves (jest.config.js moduleNameMapper).
    if (!FROM_SOURCES) throw error;
  }
}

/**
 * PLUGIN_ISOLATION=none: plugin code runs in the API process. Deadlines still answer 504 and abort
 * `ctx.signal`, but a plugin that blocks the event loop or crashes takes the process with it: for
 * development and benchmarks only.
 */
export class InProcessPluginRunner extends PluginRunner {
  private readonly definitions = new Map<string, PluginDefinition>();
  private generation = 0;

  async load(plugin: PluginLocation): Promise<PluginDescription> {
    installSdkResolution();
    let exported: unknown;
    try {
      // A query string per load: a reinstalled plugin at the same path is imported afresh.
      const module = (await import(`${pathToFileURL(plugin.entry).href}?load=${++this.generation}`)) as { default?: unknown };
      exported = module.default;
    } catch (error) {
      throw new PluginLoadError(`threw while loading: ${(error as Error)?.message ?? String(error)}`);
    }
    let description: PluginDescription;
    try {
      description = describeDefinition(exported);
    } catch (error) {
      throw new PluginLoadError((error as Error).message);
    }
    validateDescription(description);
    this.definitions.set(plugin.name, exported as PluginDefinition);
    return description;
  }

  unload(pluginName: string): Promise<void> {
    this.definitions.delete(pluginName);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.definitions.clear();
    return Promise.resolve();
  }

  status(pluginName: string): PluginHostStatus | undefined {
    return this.definitions.has(pluginName) ? { host: 'api', running: true } : undefined;
  }

  protected async execute(plugin: PluginLocation, request: CallRequest, timeoutMs: number, hooks: CallHooks): Promise<unknown> {
    const definition = this.definitions.get(plugin.name);
    if (!definition) throw new PluginLoadError(`plugin ${plugin.name} is not loaded`);
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort(new CallDeadlineError('the call deadline passed'));
        reject(new CallDeadlineError('the call deadline passed'));
      }, timeoutMs);
    });
    const ctx: PluginContext = {
      ...request.context,
      http: createPluginHttp(hooks.http, controller.signal),
      log: {
        debug: (message, fields) => hooks.log('debug', message, fields),
        info: (message, fields) => hooks.log('info', message, fields),
        warn: (message, fields) => hooks.log('warn', message, fields),
        error: (message, fields) => hooks.log('error', message, fields),
      },
      signal: controller.signal,
      ...(request.kind === 'action' && hooks.storeCredentials
        ? { storeCredentials: (values: Record<string, unknown>) => hooks.storeCredentials!(JSON.parse(JSON.stringify(values)) as Record<string, unknown>) }
        : {}),
    };
    try {
      return await Promise.race([executeCall(definition, request, ctx), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
