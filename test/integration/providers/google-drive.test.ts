import { PluginRunner } from '../../../src/modules/plugins/runner/plugin-runner.js';
import type { VerifyResult } from '../../../src/sdk/index.js';
import { providerOriginOverrides } from '../../fixtures/providers/fake-http-server.js';
import {
  asciiBytes,
  DRIVE_SCOPES,
  md5,
  startFakeGoogleDrive,
  startRecordingServer,
  type FakeGoogleDrive,
  type RecordingServer,
} from '../../fixtures/providers/google-drive.js';
import type { Json } from '../../support/bundled-plugins.js';
import { tempDir } from '../../support/plugin-fixtures.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const CHUNK = 8 * 1024 * 1024;
const integration = (metadata: Json = {}) => ({ id: '6c1f3b8e-2d4a-4f6b-8c0d-1e2f3a4b5c6d', accountId: 'acct_drive', livemode: false, metadata });

/** The Google Drive plugin as the host runs it: the real loader, a child process, the host's HTTP client. */
describe('google drive in the host (PLUGIN_ISOLATION=process)', () => {
  let t: TestApp;
  let runner: PluginRunner;
  let fake: FakeGoogleDrive;
  let recordings: RecordingServer;

  beforeAll(async () => {
    [fake, recordings] = await Promise.all([startFakeGoogleDrive(), startRecordingServer()]);
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

  it('verifies, uploads a recording larger than one chunk in ranges and chunks, and refuses a revoked grant as 422', async () => {
    fake.state.oauth.registerClient({ clientId: 'g-drive', clientSecret: 'g-drive-secret' });
    const { accessToken } = fake.state.oauth.mintTokens('g-drive', DRIVE_SCOPES.file);
    const connect = { credentials: { accessToken, tokenType: 'Bearer' }, settings: {}, integration: integration() };
    const verified = await runner.invoke<VerifyResult>('google_drive', { kind: 'verify', context: connect });
    expect(verified).toEqual({
      displayName: 'Ana Lima',
      metadata: { email: 'ana@acme.test', permissionId: fake.state.user.permissionId, displayName: 'Ana Lima' },
    });
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);

    const context = { ...connect, integration: integration(verified.metadata) };
    const data = asciiBytes(CHUNK + 54_321);
    const url = recordings.add('/rec/host.mp4', data);
    const file = await runner.invoke<Json>('google_drive', { kind: 'action', name: 'uploadFromUrl', input: { url, name: 'host.mp4' }, context });
    expect(file).toMatchObject({ name: 'host.mp4', size: data.length, md5Checksum: md5(data), chunks: 2, parents: [fake.state.rootId] });
    expect(recordings.requests.map((request) => [request.range, request.status])).toEqual([
      [`bytes=0-${CHUNK - 1}`, 206],
      [`bytes=${CHUNK}-${2 * CHUNK - 1}`, 206],
    ]);
    const session = [...fake.state.sessions.values()].find((entry) => entry.file?.id === file.id)!;
    expect(session.chunks.map((chunk) => chunk.range)).toEqual([`bytes 0-${CHUNK - 1}/${data.length}`, `bytes ${CHUNK}-${data.length - 1}/${data.length}`]);

    fake.state.oauth.accessTokens.get(accessToken)!.revoked = true;
    await expect(runner.invoke('google_drive', { kind: 'action', name: 'listFolders', input: {}, context })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: 'Google refused the access token: connect Google Drive again.',
    });
  });
});
