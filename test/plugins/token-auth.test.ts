import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PluginDefinition } from 'plugboard/sdk';
import { createHarness } from 'plugboard/sdk/testing';

describe('the SDK harness applies exchanged tokens as the host does', () => {
  let plugin: PluginDefinition;
  beforeAll(async () => {
    plugin = ((await import(pathToFileURL(join(resolve('test/fixtures/plugins/client-credentials'), 'index.js')).href)) as { default: PluginDefinition })
      .default;
  });

  it('posts the client credentials grant through the stub, then sends the token as Bearer', async () => {
    const harness = createHarness(plugin, {
      credentials: { clientId: 'c', clientSecret: 's' },
      integration: { metadata: { port: 4000 } },
      http: { 'POST http://127.0.0.1:4000/oauth/token': { body: { access_token: 'tok', expires_in: 3600 } }, 'GET /me': { body: { name: 'Ada' } } },
    });
    await expect(harness.verify()).resolves.toEqual({ displayName: 'Ada', metadata: {} });
    await harness.verify();
    expect(harness.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST http://127.0.0.1:4000/oauth/token',
      'GET http://127.0.0.1:4000/api/me',
      'GET http://127.0.0.1:4000/api/me',
    ]);
    expect(harness.requests[0].headers.authorization).toBe(`Basic ${Buffer.from('c:s').toString('base64')}`);
    expect(harness.requests[1].headers.authorization).toBe('Bearer tok');
  });
});
