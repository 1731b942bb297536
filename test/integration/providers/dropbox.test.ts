import type { VerifyResult } from '../../../src/sdk/index.js';
import { DROPBOX_SCOPES, dropboxContentHash, startFakeDropbox, type FakeDropbox } from '../../fixtures/providers/dropbox.js';
import { asciiBytes, startRangeFileServer, type RangeFileServer } from '../../fixtures/providers/range-file-server.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

const CHUNK = 8 * 1024 * 1024;

/** The Dropbox plugin as the host runs it: the real loader, a child process, the host's HTTP client. */
describe('dropbox in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeDropbox;
  let recordings: RangeFileServer;

  beforeAll(async () => {
    [fake, recordings] = await Promise.all([startFakeDropbox(), startRangeFileServer()]);
    host = await startProviderHost({ fakes: [fake, recordings], integration: { id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', accountId: 'acct_dropbox' } });
  });
  afterAll(() => host?.close());

  it('verifies, uploads a recording larger than one chunk through an upload session, and refuses an expired token as 422', async () => {
    const { runner } = host;
    fake.state.oauth.registerClient({ clientId: 'dbx-app', clientSecret: 'dbx-secret' });
    const { accessToken } = fake.state.oauth.mintTokens('dbx-app', DROPBOX_SCOPES.join(' '));
    const context = host.context({ accessToken, tokenType: 'bearer' });
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
