import { PluginRunner, type CallContext } from '../../src/modules/plugins/runner/plugin-runner.js';
import { providerOriginOverrides } from '../fixtures/providers/fake-http-server.js';
import { tempDir } from './plugin-fixtures.js';
import { startTestApp, type TestApp } from './test-app.js';

/** A local server a host test starts: a provider fake (with the real origins it stands in for), or any other. */
export interface HostedFake {
  /** Real origin → the fake's URL, for PROVIDER_ORIGIN_OVERRIDES. */
  origins?: Record<string, string>;
  close(): Promise<void>;
}

export interface ProviderHost {
  t: TestApp;
  runner: PluginRunner;
  /** A call's context: the connection's credentials, settings and metadata (the integration is the one the host was started for). */
  context(credentials: Record<string, unknown>, settings?: Record<string, unknown>, metadata?: Record<string, unknown>): CallContext;
  /** Closes the app, then the fakes. */
  close(): Promise<void>;
}

/**
 * The bundled plugins as the host runs them: the real application with PLUGIN_ISOLATION=process (the
 * real loader, a sandboxed child process, the host's HTTP client), no installed plugins, and
 * PROVIDER_ORIGIN_OVERRIDES pointing the fakes' real origins at them; `env` adds to that environment.
 * Calls are made for `integration`. The fakes close with the host, or at once when it fails to start.
 */
export async function startProviderHost(options: {
  fakes: HostedFake[];
  integration: { id: string; accountId: string };
  env?: Record<string, string>;
}): Promise<ProviderHost> {
  const { fakes, integration, env = {} } = options;
  const closeFakes = async () => {
    await Promise.all(fakes.map((fake) => fake.close()));
  };
  let t: TestApp;
  try {
    t = await startTestApp({
      PLUGIN_ISOLATION: 'process',
      PLUGINS_DIR: tempDir('plugboard-no-plugins-'),
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(...fakes.map((fake) => fake.origins ?? {})),
      ...env,
    });
  } catch (error) {
    await closeFakes();
    throw error;
  }
  return {
    t,
    runner: t.app.get(PluginRunner),
    context: (credentials, settings = {}, metadata = {}) => ({ credentials, settings, integration: { ...integration, livemode: false, metadata } }),
    close: async () => {
      await t.close();
      await closeFakes();
    },
  };
}
