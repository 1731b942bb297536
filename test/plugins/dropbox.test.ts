import { DROPBOX_SCOPES, dropboxContentHash, startFakeDropbox, type DropboxRequest, type FakeDropbox } from '../fixtures/providers/dropbox.js';
import { asciiBytes, startRangeFileServer, type RangeFileServer } from '../fixtures/providers/range-file-server.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const REDIRECT_URI = 'http://localhost:3000/v1/oauth/callback';
const CLIENT = { clientId: 'x1y2z3appkey', clientSecret: 'dropbox-app-secret', redirectUris: [REDIRECT_URI] };
const CHUNK = 8 * 1024 * 1024;
const ALL_SCOPES = DROPBOX_SCOPES.join(' ');

let plugin: PluginDefinition;
let dropbox: Json;
let fake: FakeDropbox;
let recordings: RangeFileServer;
let accessToken: string;

beforeAll(async () => {
  plugin = await loadBundledPlugin('dropbox');
  dropbox = plugin.providers[0];
  [fake, recordings] = await Promise.all([startFakeDropbox(), startRangeFileServer()]);
  fake.state.oauth.registerClient(CLIENT);
  accessToken = fake.state.oauth.mintTokens(CLIENT.clientId, ALL_SCOPES).accessToken;
});
afterAll(async () => {
  await Promise.all([fake.close(), recordings.close()]);
});

/** Every request the plugin makes, Dropbox's and the recording server's, in order. */
let timeline: string[] = [];
const connected = (settings: Json = {}, token = accessToken): Harness => {
  const forward = forwardTo({ ...fake.origins, [recordings.url]: recordings.url });
  timeline = [];
  return createHarness(plugin, {
    provider: 'dropbox',
    credentials: { accessToken: token, tokenType: 'bearer' },
    settings,
    http: (request) => {
      const url = new URL(request.url);
      if (url.origin === recordings.url) timeline.push(`GET recording ${request.headers.range}`);
      else {
        const arg = request.headers['dropbox-api-arg'] ? JSON.parse(request.headers['dropbox-api-arg']) : undefined;
        const offset = arg?.cursor?.offset;
        timeline.push(`${url.host} ${url.pathname}${offset === undefined ? '' : ` @${offset}`}${request.body ? ` ${Buffer.byteLength(request.body)}B` : ''}`);
      }
      return forward(request);
    },
  });
};
const last = (route: string): DropboxRequest => fake.state.requests.filter((request) => request.path === `/2/${route}`).at(-1)!;
const argOf = (request: DropboxRequest) => JSON.parse(request.headers['dropbox-api-arg']);

describe('dropbox plugin: declaration and OAuth', () => {
  it('declares Dropbox OAuth 2.0: offline tokens, PKCE, scopes; the RPC base URL; no fixed rate limits', () => {
    expect(dropbox).toMatchObject({
      id: 'dropbox',
      category: 'cloud_storage',
      baseUrl: 'https://api.dropboxapi.com/2',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://www.dropbox.com/oauth2/authorize',
        tokenUrl: 'https://api.dropboxapi.com/oauth2/token',
        scopes: DROPBOX_SCOPES,
        pkce: true,
        authorizationParams: { token_access_type: 'offline' },
        refresh: true,
      },
    });
    expect(dropbox.rateLimits).toBeUndefined();
  });

  it('the fake runs Dropbox’s flow: PKCE, short-lived bearer tokens, a refresh token for offline access, refresh', async () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const url = new URL(dropbox.auth.authorizationUrl);
    const query = {
      response_type: 'code',
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      scope: dropbox.auth.scopes.join(' '),
      state: 'st',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      ...dropbox.auth.authorizationParams,
    };
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value as string);
    const back = await followAuthorizationUrl(url, fake.origins);
    const exchange = {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      code_verifier: verifier,
    };
    const granted = await postTokenRequest(dropbox.auth.tokenUrl, fake.origins, exchange);
    expect(granted).toEqual({
      status: 200,
      body: {
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        expires_in: 14_400,
        token_type: 'bearer',
        scope: ALL_SCOPES,
        account_id: fake.state.account.account_id,
        uid: '12345678',
      },
    });
    const refreshed = await postTokenRequest(dropbox.auth.tokenUrl, fake.origins, {
      grant_type: 'refresh_token',
      refresh_token: granted.body.refresh_token,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    expect(refreshed.body).toEqual({
      access_token: expect.any(String),
      expires_in: 14_400,
      token_type: 'bearer',
      scope: ALL_SCOPES,
      account_id: fake.state.account.account_id,
      uid: '12345678',
    });
    expect((await connected({}, refreshed.body.access_token).verify()).displayName).toBe('Ana Lima');

    // Without token_access_type=offline Dropbox issues no refresh token.
    url.searchParams.delete('token_access_type');
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const online = await followAuthorizationUrl(url, fake.origins);
    const onlineGrant = await postTokenRequest(dropbox.auth.tokenUrl, fake.origins, { ...exchange, code: online.searchParams.get('code')!, code_verifier: '' });
    expect(onlineGrant.body.refresh_token).toBeUndefined();
  });
});

describe('dropbox plugin: verify and health', () => {
  it('verifies with users/get_current_account (POST, no body) and keeps the account', async () => {
    const h = connected();
    expect(await h.verify()).toEqual({
      displayName: 'Ana Lima',
      metadata: { dropboxAccountId: 'dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc', email: 'ana@acme.test', displayName: 'Ana Lima', accountType: 'basic' },
    });
    const sent = last('users/get_current_account');
    expect([sent.host, sent.method, sent.rawBody, sent.headers.authorization]).toEqual(['api', 'POST', '', `Bearer ${accessToken}`]);
  });

  it('checks health with check/user, and says what an expired, unknown or narrow token means', async () => {
    await connected().healthCheck();
    expect(last('check/user').body).toEqual({ query: 'plugboard' });
    const { accessToken: stale } = fake.state.oauth.mintTokens(CLIENT.clientId, ALL_SCOPES);
    fake.state.oauth.expireAccessToken(stale);
    await expect(connected({}, stale).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'The Dropbox access token has expired: connect Dropbox again if this persists. (expired_access_token)',
    });
    await expect(connected({}, 'sl.unknown').verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('connect Dropbox again'),
    });
    const { accessToken: narrow } = fake.state.oauth.mintTokens(CLIENT.clientId, 'account_info.read');
    await expect(connected({}, narrow).action('listFolders', {})).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'This Dropbox connection lacks the files.metadata.read permission: connect Dropbox again and allow it.',
    });
  });
});

describe('dropbox plugin: listFolders', () => {
  it('follows list_folder/continue while has_more, keeps folders only, and hands back the cursor', async () => {
    for (const name of ['A', 'B', 'C', 'D', 'E']) fake.state.addFolder(`/Teams/${name}`);
    for (const name of ['a.txt', 'b.txt', 'c.txt']) fake.state.addFile(`/Teams/${name}`, Buffer.from(name));
    const h = connected();
    const first = await h.action<Json>('listFolders', { path: '/Teams', limit: 3 });
    // Pages of 3 entries, files first by name: a.txt b.txt c.txt | A B C — three folders in hand after two pages.
    expect(first.folders.map((folder: Json) => folder.name)).toEqual(['A', 'B', 'C']);
    expect(first.folders[0]).toEqual({ id: expect.stringMatching(/^id:/), name: 'A', path: '/Teams/A', pathLower: '/teams/a' });
    expect(first.hasMore).toBe(true);
    expect(
      fake.state.requests
        .filter((request) => request.path.startsWith('/2/files/list_folder'))
        .slice(-2)
        .map((request) => [request.path, request.body]),
    ).toEqual([
      ['/2/files/list_folder', { path: '/Teams', limit: 3, include_mounted_folders: true }],
      ['/2/files/list_folder/continue', { cursor: expect.any(String) }],
    ]);
    const rest = await h.action<Json>('listFolders', { cursor: first.cursor });
    expect(rest).toEqual({
      folders: [expect.objectContaining({ name: 'D' }), expect.objectContaining({ name: 'E' })],
      cursor: expect.any(String),
      hasMore: false,
    });
  });

  it('lists the root as "" (never "/"), and passes Dropbox’s refusals on: nothing there, a file, a stale cursor', async () => {
    await connected().action('listFolders', { path: '/' });
    expect(last('files/list_folder').body).toMatchObject({ path: '' });
    await expect(connected().action('listFolders', { path: '/Nope' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'There is nothing at that path in Dropbox. (path/not_found)',
    });
    await expect(connected().action('listFolders', { path: '/Teams/a.txt' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'That path is a file, not a folder. (path/not_folder)',
    });
    await expect(connected().action('listFolders', { cursor: 'AAEstale' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'The listing cursor is no longer valid: list the folder again without it. (reset)',
    });
  });
});

describe('dropbox plugin: uploadFromUrl', () => {
  it('streams a file larger than one chunk through an upload session: start, append_v2, finish, one range read before each', async () => {
    const data = asciiBytes(2 * CHUNK + 77_777);
    const url = recordings.add('/rec/big.mp4', data);
    const before = recordings.requests.length;
    const file = await connected().action<Json>('uploadFromUrl', { url, path: '/Recordings/big.mp4' });
    expect(file).toMatchObject({
      name: 'big.mp4',
      path: '/Recordings/big.mp4',
      size: data.length,
      contentHash: dropboxContentHash(data),
      chunks: 3,
      bytes: data.length,
    });
    expect(timeline).toEqual([
      `GET recording bytes=0-${CHUNK - 1}`,
      `content.dropboxapi.com /2/files/upload_session/start ${CHUNK}B`,
      `GET recording bytes=${CHUNK}-${2 * CHUNK - 1}`,
      `content.dropboxapi.com /2/files/upload_session/append_v2 @${CHUNK} ${CHUNK}B`,
      `GET recording bytes=${2 * CHUNK}-${3 * CHUNK - 1}`,
      `content.dropboxapi.com /2/files/upload_session/finish @${2 * CHUNK} 77777B`,
    ]);
    expect(recordings.requests.slice(before).map((request) => request.bytes)).toEqual([CHUNK, CHUNK, 77_777]);
    const finish = last('files/upload_session/finish');
    expect(finish.host).toBe('content');
    expect(finish.headers).toMatchObject({ authorization: `Bearer ${accessToken}`, 'content-type': 'application/octet-stream' });
    expect(argOf(finish)).toEqual({
      cursor: { session_id: expect.stringMatching(/^pid_upload_session:/), offset: 2 * CHUNK },
      commit: { path: '/Recordings/big.mp4', mode: 'add', autorename: false, mute: false, strict_conflict: false },
    });
    expect(fake.state.sessions.get(argOf(finish).cursor.session_id)!.calls.map((call) => call.bytes)).toEqual([CHUNK, CHUNK, 77_777]);
  });

  it('sends a file of one chunk with files/upload, and escapes non-ASCII characters in Dropbox-API-Arg', async () => {
    const data = asciiBytes(5000);
    const file = await connected().action<Json>('uploadFromUrl', {
      url: recordings.add('/plain/a.webm', data, { ranges: false }),
      path: '/Gravações/sessão 1.webm',
    });
    expect(file).toMatchObject({ path: '/Gravações/sessão 1.webm', size: 5000, contentHash: dropboxContentHash(data), chunks: 1 });
    const sent = last('files/upload');
    expect(sent.headers['dropbox-api-arg']).toContain('/Grava\\u00e7\\u00f5es/sess\\u00e3o 1.webm');
    expect(argOf(sent).path).toBe('/Gravações/sessão 1.webm');
    expect(fake.state.entry('/gravações')!.tag).toBe('folder');
  });

  it('resumes at the correct offset when Dropbox kept an append whose answer was lost, and retries a failed one', async () => {
    const data = asciiBytes(3 * CHUNK + 1);
    const url = recordings.add('/rec/flaky.mp4', data);
    // start ok; the first append is kept but its answer lost (500); its retry meets incorrect_offset; the next append fails outright once.
    fake.state.faults.push('pass', 'lostAnswer', 'pass', 'failed');
    const file = await connected().action<Json>('uploadFromUrl', { url, path: '/Recordings/flaky.mp4' });
    expect(file).toMatchObject({ size: data.length, contentHash: dropboxContentHash(data), chunks: 4 });
    expect(timeline.filter((line) => line.startsWith('content'))).toEqual([
      `content.dropboxapi.com /2/files/upload_session/start ${CHUNK}B`,
      `content.dropboxapi.com /2/files/upload_session/append_v2 @${CHUNK} ${CHUNK}B`,
      `content.dropboxapi.com /2/files/upload_session/append_v2 @${CHUNK} ${CHUNK}B`,
      `content.dropboxapi.com /2/files/upload_session/append_v2 @${2 * CHUNK} ${CHUNK}B`,
      `content.dropboxapi.com /2/files/upload_session/append_v2 @${2 * CHUNK} ${CHUNK}B`,
      `content.dropboxapi.com /2/files/upload_session/finish @${3 * CHUNK} 1B`,
    ]);
  });

  it('passes Dropbox’s refusals on: a different file in the way, no space; 429 with Retry-After is a rate limit', async () => {
    fake.state.addFile('/Recordings/taken.mp4', Buffer.from('other bytes'));
    const url = recordings.add('/rec/taken.mp4', asciiBytes(1000));
    await expect(connected().action('uploadFromUrl', { url, path: '/Recordings/taken.mp4' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'A file is already at that path. (path/conflict/file)',
    });
    const renamed = await connected().action<Json>('uploadFromUrl', { url, path: '/Recordings/taken.mp4', autorename: true });
    expect(renamed.path).toBe('/Recordings/taken (2).mp4');

    fake.state.spaceLeft = 10;
    try {
      await expect(connected().action('uploadFromUrl', { url, path: '/Recordings/full.mp4' })).rejects.toMatchObject({
        code: 'provider_rejected',
        message: 'The Dropbox account is out of space. (path/insufficient_space)',
      });
    } finally {
      fake.state.spaceLeft = undefined;
    }
    fake.state.rateLimitNext = { reason: 'too_many_write_operations', retryAfter: 7 };
    await expect(connected().action('uploadFromUrl', { url, path: '/Recordings/later.mp4' })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      retryAfterSeconds: 7,
      message: 'Too many writes are happening in this Dropbox account; try again shortly. (too_many_write_operations)',
    });
  });

  it('refuses a recording that is not there and one that changes midway', async () => {
    await expect(connected().action('uploadFromUrl', { url: `${recordings.url}/rec/none.mp4`, path: '/x.mp4' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('answered HTTP 404'),
    });
    const url = recordings.add('/rec/changing.mp4', asciiBytes(CHUNK + 3), { changes: true });
    await expect(connected().action('uploadFromUrl', { url, path: '/x.mp4' })).rejects.toThrow('the recording changed while it was being copied');
  });
});

describe('dropbox plugin: recording.completed', () => {
  const event = (data: Json, timestamp = '2026-03-04T23:30:00Z') => ({
    id: `evt_${data.recordingId}`,
    event: 'recording.completed',
    timestamp,
    accountId: 'acct_test',
    livemode: false,
    data,
  });

  it('copies the recording under destination/date/room/session, named by the served type, once', async () => {
    const data = asciiBytes(CHUNK + 10);
    // No extension in the URL: the name takes the type the server says.
    const url = recordings.add('/rec/download', data, { type: 'audio/mp4' });
    const settings = { folderPath: '/Webinars', folderLayout: '{date}/{roomId}/{sessionId}', timeZone: 'Asia/Tokyo' };
    const h = connected(settings);
    const payload = { recordingId: 'rec_1', roomId: 'Sala: Ação', sessionId: 'sess_9', url, durationSeconds: 60 };
    await dropbox.onEvent['recording.completed'](h.context(), event(payload));
    const path = '/Webinars/2026-03-05/Sala_ Ação/sess_9/recording-rec_1.m4a';
    expect(fake.state.entry(path)).toMatchObject({ tag: 'file', size: data.length, contentHash: dropboxContentHash(data) });
    expect(h.logs.at(-1)).toMatchObject({ level: 'info', message: 'recording copied to Dropbox', fields: { path, chunks: 2 } });

    const again = connected(settings);
    await dropbox.onEvent['recording.completed'](again.context(), event(payload));
    expect(timeline.filter((line) => line.includes('upload'))).toEqual([]);
    expect(again.logs.at(-1)).toMatchObject({ message: 'recording already in Dropbox', fields: { path } });
  });

  it('puts a recording without a room or session straight under the date, and skips one without a url', async () => {
    const url = recordings.add('/rec/r2.mp4', asciiBytes(100));
    const h = connected({ folderPath: '', folderLayout: '{date}/{roomId}/{sessionId}' });
    await dropbox.onEvent['recording.completed'](h.context(), event({ recordingId: 'rec_2', url }));
    expect(fake.state.entry('/2026-03-04/recording-rec_2.mp4')).toMatchObject({ size: 100 });
    const none = connected();
    await dropbox.onEvent['recording.completed'](none.context(), event({ recordingId: 'rec_3' }));
    expect(none.requests).toHaveLength(0);
    expect(none.logs).toEqual([expect.objectContaining({ level: 'warn' })]);
  });
});

describe('dropbox plugin: input schemas', () => {
  it('refuses malformed inputs before any call', () => {
    const ajv = createSchemaCompiler();
    const upload = ajv.compile(dropbox.actions.uploadFromUrl.inputSchema);
    expect(upload({ url: 'https://cdn.example.com/r.mp4', path: '/Recordings/r.mp4' })).toBe(true);
    expect(upload({ url: 'https://cdn.example.com/r.mp4', path: 'Recordings/r.mp4' })).toBe(false);
    expect(upload({ url: 'https://cdn.example.com/r.mp4', path: '/Recordings/' })).toBe(false);
    expect(upload({ url: 'file:///etc/passwd', path: '/r.mp4' })).toBe(false);
    expect(upload({ url: 'https://cdn.example.com/r.mp4', path: '/r.mp4', mode: 'update' })).toBe(false);
    const list = ajv.compile(dropbox.actions.listFolders.inputSchema);
    expect(list({})).toBe(true);
    expect(list({ path: '/' })).toBe(true);
    expect(list({ path: 'id:a4ayc_80_OEAAAAAAAAAXw' })).toBe(true);
    expect(list({ path: 'Recordings' })).toBe(false);
    expect(list({ limit: 0 })).toBe(false);
    const settings = ajv.compile(dropbox.settingsSchema);
    expect(settings({ folderPath: '/Recordings', folderLayout: 'flat' })).toBe(true);
    expect(settings({ folderPath: '/Recordings/' })).toBe(false);
  });
});
