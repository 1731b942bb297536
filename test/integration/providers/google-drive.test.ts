import type { VerifyResult } from '../../../src/sdk/index.js';
import { DRIVE_SCOPES, md5, startFakeGoogleDrive, type FakeGoogleDrive } from '../../fixtures/providers/google-drive.js';
import { asciiBytes, startRangeFileServer, type RangeFileServer } from '../../fixtures/providers/range-file-server.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

const CHUNK = 8 * 1024 * 1024;

/** The Google Drive plugin as the host runs it: the real loader, a child process, the host's HTTP client. */
describe('google drive in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeGoogleDrive;
  let recordings: RangeFileServer;

  beforeAll(async () => {
    [fake, recordings] = await Promise.all([startFakeGoogleDrive(), startRangeFileServer()]);
    host = await startProviderHost({ fakes: [fake, recordings], integration: { id: '6c1f3b8e-2d4a-4f6b-8c0d-1e2f3a4b5c6d', accountId: 'acct_drive' } });
  });
  afterAll(() => host?.close());

  it('verifies, uploads a recording larger than one chunk in ranges and chunks, and refuses a revoked grant as 422', async () => {
    const { runner } = host;
    fake.state.oauth.registerClient({ clientId: 'g-drive', clientSecret: 'g-drive-secret' });
    const { accessToken } = fake.state.oauth.mintTokens('g-drive', DRIVE_SCOPES.file);
    const connect = host.context({ accessToken, tokenType: 'Bearer' });
    const verified = await runner.invoke<VerifyResult>('google_drive', { kind: 'verify', context: connect });
    expect(verified).toEqual({
      displayName: 'Ana Lima',
      metadata: { email: 'ana@acme.test', permissionId: fake.state.user.permissionId, displayName: 'Ana Lima' },
    });
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);

    const context = host.context(connect.credentials, {}, verified.metadata);
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
