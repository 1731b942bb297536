import { PluginRunner } from '../../../src/modules/plugins/runner/plugin-runner.js';
import type { VerifyResult } from '../../../src/sdk/index.js';
import { providerOriginOverrides } from '../../fixtures/providers/fake-http-server.js';
import {
  asciiBytes,
  DROPBOX_SCOPES,
  dropboxContentHash,
  startFakeDropbox,
  startRecordingServer,
  type FakeDropbox,
  type RecordingServer,
} from '../../fixtures/providers/dropbox.js';
import type { Json } from '../../support/bundled-plugins.js';
import { tempDir } from '../../support/plugin-fixtures.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const CHUNK = 8 * 1024 * 1024;
const integration = (metadata: Json = {}) => ({ id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', accountId: 'acct_dropbox', livemode: false, metadata });

/** The Dropbox plugin as the host runs it: the real loader, a child process, the host's HTTP client. */
describe('dropbox in the host (PLUGIN_ISOLATION=process)', () => {
  let t: TestApp;
  let runner: PluginRunner;
  let fake: FakeDropbox;
  let recordings: RecordingServer;

  beforeAll(async () => {
    [fake, recordings] = await Promise.all([startFakeDropbox(), startRecordingServer()]);
    t = await startTestApp({
      PLUGIN_ISOLATION: 'process',
      PLUGINS_DIR: tempDir('plugboard-no-plugins-'),
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(fake.origins),
    });
    runner = t.app.get(PluginRunner);
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([fake.close(), recordings.close()]);
  });

  it('verifies, uploads a recording larger than one chunk through an upload session, and refuses an expired token as 422', async () => {
    fake.state.oauth.registerClient({ clientId: 'dbx-app', clientSecret: 'dbx-secret' });
    const { accessToken } = fake.state.oauth.mintTokens('dbx-app', DROPBOX_SCOPES.join(' '));
    const context = { credentials: { accessToken, tokenType: 'bearer' }, settings: {}, integration: integration() };
    await expect(runner.invoke<VerifyResult>('dropbox', { kind: 'verify', context })).resolves.toEqual({
      displayName: 'Ana Lima',
      metadata: { dropboxAccountId: fake.state.account.account_id, email: 'ana@acme.test', displayName: 'Ana Lima', accountType: 'basic' },
    });
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);

    const data = asciiBytes(CHUNK + 12_345);
    const url = recordings.add('/rec/host.mp4', data);
    const file = await runner.invoke<Json>('dropbox', { kind: 'action', name: 'uploadFromUrl', input: { url, path: '/Recordings/host.mp4' }, context });
    expect(file).toMatchObject({ path: '/Recordings/host.mp4', size: data.length, contentHash: dropboxContentHash(data), chunks: 2 });
    expect(recordings.requests.map((request) => [request.range, request.status])).toEqual([
      [`bytes=0-${CHUNK - 1}`, 206],
      [`bytes=${CHUNK}-${2 * CHUNK - 1}`, 206],
    ]);
    const uploads = fake.state.requests.filter((request) => request.host === 'content');
    expect(
      uploads.map((request) => [request.path, JSON.parse(request.headers['dropbox-api-arg']).cursor?.offset ?? null, request.headers.authorization]),
    ).toEqual([
      ['/2/files/upload_session/start', null, `Bearer ${accessToken}`],
      ['/2/files/upload_session/finish', CHUNK, `Bearer ${accessToken}`],
    ]);

    fake.state.oauth.expireAccessToken(accessToken);
    await expect(runner.invoke('dropbox', { kind: 'action', name: 'listFolders', input: {}, context })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: 'The Dropbox access token has expired: connect Dropbox again if this persists. (expired_access_token)',
    });
  });
});
