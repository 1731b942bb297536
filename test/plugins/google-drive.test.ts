import { DRIVE_SCOPES, FOLDER_MIME, md5, startFakeGoogleDrive, UPLOAD_QUANTUM, type FakeGoogleDrive } from '../fixtures/providers/google-drive.js';
import { asciiBytes, startRangeFileServer, type RangeFileServer } from '../fixtures/providers/range-file-server.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const REDIRECT_URI = 'http://localhost:3000/v1/oauth/callback';
const CLIENT = { clientId: '5678-drive.apps.googleusercontent.com', clientSecret: 'GOCSPX-drive-client-secret', redirectUris: [REDIRECT_URI] };
const CHUNK = 8 * 1024 * 1024;

let plugin: PluginDefinition;
let drive: Json;
let fake: FakeGoogleDrive;
let recordings: RangeFileServer;
let accessToken: string;

beforeAll(async () => {
  plugin = await loadBundledPlugin('google-drive');
  drive = plugin.providers[0];
  [fake, recordings] = await Promise.all([startFakeGoogleDrive(), startRangeFileServer()]);
  fake.state.oauth.registerClient(CLIENT);
  accessToken = fake.state.oauth.mintTokens(CLIENT.clientId, DRIVE_SCOPES.file).accessToken;
});
afterAll(async () => {
  await Promise.all([fake.close(), recordings.close()]);
});

/** Every request the plugin makes, Drive's and the recording server's, in the order it made them. */
let timeline: string[] = [];
const connected = (settings: Json = {}, token = accessToken): Harness => {
  const forward = forwardTo({ ...fake.origins, [recordings.url]: recordings.url });
  timeline = [];
  return createHarness(plugin, {
    provider: 'google_drive',
    credentials: { accessToken: token, tokenType: 'Bearer' },
    settings,
    integration: { metadata: { permissionId: fake.state.user.permissionId } },
    http: (request) => {
      const url = new URL(request.url);
      const range = request.headers.range ?? request.headers['content-range'];
      timeline.push(`${request.method} ${url.origin === recordings.url ? 'recording' : url.pathname}${range ? ` ${range}` : ''}`);
      return forward(request);
    },
  });
};
const sessionOf = (file: Json) => [...fake.state.sessions.values()].find((session) => session.file?.id === file.id)!;

describe('google drive plugin: declaration and OAuth', () => {
  it('declares Google OAuth 2.0 with the drive.file scope, offline refresh, and Drive’s per-user quota', () => {
    expect(drive).toMatchObject({
      id: 'google_drive',
      category: 'cloud_storage',
      baseUrl: 'https://www.googleapis.com',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
        tokenUrl: 'https://oauth2.googleapis.com/token',
        scopes: ['https://www.googleapis.com/auth/drive.file'],
        authorizationParams: { access_type: 'offline', prompt: 'consent' },
        refresh: true,
      },
      rateLimits: [
        { requests: 12_000, windowMs: 60_000, scope: 'account', accountKey: 'permissionId' },
        { requests: 12_000, windowMs: 60_000, scope: 'app' },
      ],
    });
    expect(Object.keys(drive.settingsSchema.properties)).toEqual(['folderId', 'folderLayout', 'timeZone']);
  });

  it('the fake issues a refresh token for offline access, refreshes, and refuses the expired access token', async () => {
    const url = new URL(drive.auth.authorizationUrl);
    const query = {
      response_type: 'code',
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      scope: drive.auth.scopes.join(' '),
      state: 'st',
      ...drive.auth.authorizationParams,
    };
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value as string);
    const back = await followAuthorizationUrl(url, fake.origins);
    const granted = await postTokenRequest(drive.auth.tokenUrl, fake.origins, {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    expect(granted.body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: 3599,
      scope: DRIVE_SCOPES.file,
      token_type: 'Bearer',
    });
    fake.state.oauth.expireAccessToken(granted.body.access_token);
    await expect(connected({}, granted.body.access_token).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Google refused the access token: connect Google Drive again.',
    });
    const refreshed = await postTokenRequest(drive.auth.tokenUrl, fake.origins, {
      grant_type: 'refresh_token',
      refresh_token: granted.body.refresh_token,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    expect((await connected({}, refreshed.body.access_token).verify()).displayName).toBe('Ana Lima');
  });
});

describe('google drive plugin: verify and health', () => {
  it('verifies with about.get (fields=user) and keeps who connected', async () => {
    const h = connected();
    expect(await h.verify()).toEqual({
      displayName: 'Ana Lima',
      metadata: { email: 'ana@acme.test', permissionId: '04512238795261349925', displayName: 'Ana Lima' },
    });
    expect(h.requests.map((request) => request.url)).toEqual(['https://www.googleapis.com/drive/v3/about?fields=user']);
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);
  });

  it('checks health with the smallest about.get, and refuses unknown tokens and grants without Drive access', async () => {
    const h = connected();
    await h.healthCheck();
    expect(fake.state.requests.at(-1)!.query).toEqual({ fields: 'user(permissionId)' });
    await expect(connected({}, 'ya29.unknown').healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('connect Google Drive again'),
    });
    const { accessToken: narrow } = fake.state.oauth.mintTokens(CLIENT.clientId, 'openid email');
    await expect(connected({}, narrow).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('allow Plugboard to create files'),
    });
  });
});

describe('google drive plugin: folders', () => {
  it('lists the folders of a parent page by page, only those the app may see, not trashed, by name', async () => {
    const parent = fake.state.addFolder('Clients');
    for (const name of ['Delta', 'Alpha', 'Charlie']) fake.state.addFolder(name, parent.id);
    fake.state.addFolder('Made in the Drive UI', parent.id, { appCreated: false });
    fake.state.addFolder('Old', parent.id, { trashed: true });
    const h = connected();
    const first = await h.action<Json>('listFolders', { parentId: parent.id, pageSize: 2 });
    expect(first.folders.map((folder: Json) => folder.name)).toEqual(['Alpha', 'Charlie']);
    expect(first.folders[0]).toEqual({
      id: expect.any(String),
      name: 'Alpha',
      parents: [parent.id],
      createdTime: expect.any(String),
      modifiedTime: expect.any(String),
      webViewLink: expect.stringMatching(/^https:\/\/drive\.google\.com\/drive\/folders\//),
    });
    const second = await h.action<Json>('listFolders', { parentId: parent.id, pageSize: 2, pageToken: first.nextPageToken });
    expect(second).toEqual({ folders: [expect.objectContaining({ name: 'Delta' })], nextPageToken: null });
    const sent = fake.state.requests.at(-1)!.query;
    expect(sent).toMatchObject({
      q: `mimeType='${FOLDER_MIME}' and trashed=false and '${parent.id}' in parents`,
      pageSize: '2',
      pageToken: first.nextPageToken,
      orderBy: 'name',
      fields: 'nextPageToken,files(id,name,parents,createdTime,modifiedTime,webViewLink)',
    });
  });

  it('lists My Drive when no parent is given, and creates a folder there or in a parent', async () => {
    const top = await connected().action<Json>('createFolder', { name: "Ana's recordings" });
    expect(top).toMatchObject({ name: "Ana's recordings", parents: [fake.state.rootId] });
    const inner = await connected().action<Json>('createFolder', { name: '2026', parentId: top.id });
    expect(fake.state.files.get(inner.id)).toMatchObject({ name: '2026', mimeType: FOLDER_MIME, parents: [top.id] });
    expect(fake.state.requests.at(-1)!.body).toEqual({ name: '2026', mimeType: FOLDER_MIME, parents: [top.id] });
    const listed = await connected().action<Json>('listFolders', {});
    expect(listed.folders.map((folder: Json) => folder.name)).toContain("Ana's recordings");
    expect(fake.state.requests.at(-1)!.query.q).toContain("'root' in parents");
  });

  it('passes Drive’s refusal on: a parent that does not exist or that drive.file cannot see', async () => {
    await expect(connected().action('createFolder', { name: 'x', parentId: '1NoSuchFolder' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'File not found: 1NoSuchFolder.',
    });
    const foreign = fake.state.addFolder('Shared with me', undefined, { appCreated: false });
    await expect(connected().action('createFolder', { name: 'x', parentId: foreign.id })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `File not found: ${foreign.id}.`,
    });
  });
});

describe('google drive plugin: uploadFromUrl', () => {
  it('streams a file larger than one chunk: one range read, then one 8 MiB Content-Range PUT, and so on', async () => {
    const data = asciiBytes(2 * CHUNK + 123_457);
    const url = recordings.add('/rec/big.mp4', data);
    const folder = fake.state.addFolder('Uploads');
    const before = recordings.requests.length;
    const h = connected();
    const file = await h.action<Json>('uploadFromUrl', { url, name: 'big.mp4', folderId: folder.id });

    expect(file).toMatchObject({
      name: 'big.mp4',
      mimeType: 'video/mp4',
      size: data.length,
      md5Checksum: md5(data),
      parents: [folder.id],
      chunks: 3,
      bytes: data.length,
    });
    const total = data.length;
    // Never more than one chunk read before it is sent: the whole file is never held.
    expect(timeline).toEqual([
      `GET recording bytes=0-${CHUNK - 1}`,
      'POST /upload/drive/v3/files',
      `PUT /upload/drive/v3/files bytes 0-${CHUNK - 1}/${total}`,
      `GET recording bytes=${CHUNK}-${2 * CHUNK - 1}`,
      `PUT /upload/drive/v3/files bytes ${CHUNK}-${2 * CHUNK - 1}/${total}`,
      `GET recording bytes=${2 * CHUNK}-${3 * CHUNK - 1}`,
      `PUT /upload/drive/v3/files bytes ${2 * CHUNK}-${total - 1}/${total}`,
    ]);
    const served = recordings.requests.slice(before);
    expect(served.map((request) => [request.status, request.bytes])).toEqual([
      [206, CHUNK],
      [206, CHUNK],
      [206, 123_457],
    ]);
    expect(served.slice(1).every((request) => request.ifRange !== undefined)).toBe(true);

    const session = sessionOf(file);
    expect(session.largestBody).toBe(CHUNK);
    expect(session.declaredLength).toBe(total);
    expect(session.mediaType).toBe('video/mp4');
    expect(session.metadata).toEqual({ name: 'big.mp4', parents: [folder.id] });
    const start = fake.state.requests.find(
      (request) =>
        request.method === 'POST' &&
        request.path === '/upload/drive/v3/files' &&
        request.query.upload_id === undefined &&
        request.body &&
        (request.body as Json).name === 'big.mp4',
    )!;
    expect(start.query).toMatchObject({ uploadType: 'resumable', fields: 'id,name,mimeType,size,md5Checksum,parents,webViewLink,createdTime' });
    expect(start.headers).toMatchObject({
      'x-upload-content-type': 'video/mp4',
      'x-upload-content-length': String(total),
      'content-type': 'application/json; charset=UTF-8',
    });
  });

  it('copies from a server without range support (one answer), and names the type by extension when the server says octet-stream', async () => {
    const data = asciiBytes(700_000);
    const url = recordings.add('/plain/talk.webm', data, { ranges: false, type: 'application/octet-stream' });
    const file = await connected().action<Json>('uploadFromUrl', { url, name: 'talk.webm' });
    expect(file).toMatchObject({ mimeType: 'video/webm', size: 700_000, md5Checksum: md5(data), chunks: 1, parents: [fake.state.rootId] });
    expect(timeline).toEqual([`GET recording bytes=0-${CHUNK - 1}`, 'POST /upload/drive/v3/files', 'PUT /upload/drive/v3/files bytes 0-699999/700000']);
  });

  it('gathers short ranges into whole chunks, and finds the end of a file whose size the server does not say', async () => {
    const data = asciiBytes(2 * CHUNK);
    const url = recordings.add('/unsized/exact.mp4', data, { maxRange: 3 * 1024 * 1024, unsized: true });
    const file = await connected().action<Json>('uploadFromUrl', { url, name: 'exact.mp4' });
    expect(file).toMatchObject({ size: 2 * CHUNK, md5Checksum: md5(data), chunks: 2 });
    const session = sessionOf(file);
    expect(session.chunks.map((chunk) => chunk.range)).toEqual([`bytes 0-${CHUNK - 1}/*`, `bytes ${CHUNK}-${2 * CHUNK - 1}/${2 * CHUNK}`]);
    expect(session.declaredLength).toBeUndefined();
    // Three ranges make a chunk, and one more read (416) finds the end.
    expect(timeline.filter((line) => line.startsWith('GET recording'))).toHaveLength(7);
  });

  it('resends what Drive did not keep (308 with a shorter Range) and resumes after a 503 by asking where the upload stands', async () => {
    const data = asciiBytes(2 * CHUNK + 10);
    const url = recordings.add('/rec/flaky.mp4', data);
    // Drive keeps half of the first chunk; the resent half meets a 503; the status query says what Drive holds.
    fake.state.chunkFaults.push('keepPart', 'unavailable');
    const file = await connected().action<Json>('uploadFromUrl', { url, name: 'flaky.mp4' });
    expect(file).toMatchObject({ size: data.length, md5Checksum: md5(data), chunks: 3 });
    const half = Math.floor(CHUNK / 2 / UPLOAD_QUANTUM) * UPLOAD_QUANTUM;
    expect(timeline.filter((line) => line.startsWith('PUT'))).toEqual([
      `PUT /upload/drive/v3/files bytes 0-${CHUNK - 1}/${data.length}`,
      `PUT /upload/drive/v3/files bytes ${half}-${CHUNK - 1}/${data.length}`,
      `PUT /upload/drive/v3/files bytes */${data.length}`,
      `PUT /upload/drive/v3/files bytes ${half}-${CHUNK - 1}/${data.length}`,
      `PUT /upload/drive/v3/files bytes ${CHUNK}-${2 * CHUNK - 1}/${data.length}`,
      `PUT /upload/drive/v3/files bytes ${2 * CHUNK}-${data.length - 1}/${data.length}`,
    ]);
  });

  it('finds the finished file when the answer to the last chunk is lost (500)', async () => {
    const data = asciiBytes(300_000);
    fake.state.chunkFaults.push('lostAnswer');
    const file = await connected().action<Json>('uploadFromUrl', { url: recordings.add('/rec/lost.mp4', data), name: 'lost.mp4' });
    expect(file).toMatchObject({ size: 300_000, md5Checksum: md5(data) });
    expect(timeline.filter((line) => line.startsWith('PUT'))).toEqual([
      'PUT /upload/drive/v3/files bytes 0-299999/300000',
      'PUT /upload/drive/v3/files bytes */300000',
    ]);
    expect([...fake.state.files.values()].filter((entry) => entry.name === 'lost.mp4')).toHaveLength(1);
  });

  it('fails rather than mix two versions when the recording changes midway, and refuses a recording that is not there', async () => {
    const url = recordings.add('/rec/changing.mp4', asciiBytes(CHUNK + 5), { changes: true });
    await expect(connected().action('uploadFromUrl', { url, name: 'changing.mp4' })).rejects.toThrow('the recording changed while it was being copied');
    await expect(connected().action('uploadFromUrl', { url: `${recordings.url}/rec/missing.mp4`, name: 'm.mp4' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `The recording could not be downloaded: ${new URL(recordings.url).host} answered HTTP 404.`,
    });
  });

  it('answers Drive’s rate limits (403 userRateLimitExceeded, 429) as rate limits, and a full Drive as a refusal', async () => {
    const url = recordings.add('/rec/small.mp4', asciiBytes(1000));
    fake.state.rateLimitNext = 'userRateLimitExceeded';
    await expect(connected().action('uploadFromUrl', { url, name: 's.mp4' })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: 'User rate limit exceeded.',
    });
    fake.state.rateLimitNext = 'rateLimitExceeded';
    await expect(connected().action('listFolders', {})).rejects.toMatchObject({ code: 'provider_rate_limited', message: 'Rate limit exceeded.' });
    fake.state.storageFull = true;
    try {
      await expect(connected().action('uploadFromUrl', { url, name: 's.mp4' })).rejects.toMatchObject({
        code: 'provider_rejected',
        message: "The user's Drive storage quota has been exceeded.",
      });
    } finally {
      fake.state.storageFull = false;
    }
  });
});

describe('google drive plugin: recording.completed', () => {
  const event = (data: Json, timestamp = '2026-03-04T23:30:00Z') => ({
    id: `evt_${data.recordingId}`,
    event: 'recording.completed',
    timestamp,
    accountId: 'acct_test',
    livemode: false,
    data,
  });

  it('copies the recording into date/room/session folders under the destination, once', async () => {
    const destination = fake.state.addFolder('Recordings');
    const data = asciiBytes(CHUNK + 4096);
    const url = recordings.add('/rec/rec_1.mp4', data);
    const h = connected({ folderId: destination.id, folderLayout: '{date}/{roomId}/{sessionId}', timeZone: 'Europe/Lisbon' });
    const payload = { recordingId: 'rec_1', roomId: 'room/7', sessionId: 'sess_9', url, durationSeconds: 3600 };
    await drive.onEvent['recording.completed'](h.context(), event(payload));

    const [day] = fake.state.childrenOf(destination.id);
    expect(day.name).toBe('2026-03-04');
    const [room] = fake.state.childrenOf(day.id);
    expect(room.name).toBe('room_7');
    const [session] = fake.state.childrenOf(room.id);
    expect(session.name).toBe('sess_9');
    const [file] = fake.state.childrenOf(session.id);
    expect(file).toMatchObject({
      name: 'recording-rec_1.mp4',
      mimeType: 'video/mp4',
      size: String(data.length),
      md5Checksum: md5(data),
      appProperties: { plugboardRecordingId: 'rec_1' },
      description: 'Recording rec_1 of session sess_9 in room room/7 (60 min), copied by Plugboard.',
    });
    expect(h.logs.at(-1)).toMatchObject({ level: 'info', message: 'recording copied to Google Drive', fields: { fileId: file.id, chunks: 2 } });

    // Delivered again: the folders are found, the copy is found by its recording id, nothing is uploaded.
    const again = connected({ folderId: destination.id, timeZone: 'Europe/Lisbon' });
    await drive.onEvent['recording.completed'](again.context(), event(payload));
    expect(timeline.some((line) => line.startsWith('POST') || line.startsWith('PUT') || line.startsWith('GET recording'))).toBe(false);
    expect(fake.state.childrenOf(session.id)).toHaveLength(1);
    expect(again.logs.at(-1)).toMatchObject({ message: 'recording already in Google Drive', fields: { fileId: file.id } });
  });

  it('uses the day of the chosen time zone, leaves out parts the event lacks, and names by the served type', async () => {
    const destination = fake.state.addFolder('Other recordings');
    const url = recordings.add('/rec/download', asciiBytes(2048), { type: 'audio/mp4' });
    const h = connected({ folderId: destination.id, folderLayout: '{date}/{roomId}/{sessionId}', timeZone: 'Asia/Tokyo' });
    await drive.onEvent['recording.completed'](h.context(), event({ recordingId: 'rec_2', roomId: 'room_3', url }));
    const [day] = fake.state.childrenOf(destination.id);
    expect(day.name).toBe('2026-03-05');
    const [room] = fake.state.childrenOf(day.id);
    expect(fake.state.childrenOf(room.id).map((entry) => [entry.name, entry.mimeType])).toEqual([['recording-rec_2.m4a', 'audio/mp4']]);

    const flat = connected({ folderId: destination.id, folderLayout: 'flat' });
    await drive.onEvent['recording.completed'](flat.context(), event({ recordingId: 'rec_3', roomId: 'room_3', sessionId: 's', url }));
    expect(fake.state.childrenOf(destination.id).map((entry) => entry.name)).toEqual(['2026-03-05', 'recording-rec_3.m4a']);
  });

  it('does nothing for a recording without a url', async () => {
    const h = connected();
    await drive.onEvent['recording.completed'](h.context(), event({ recordingId: 'rec_4' }));
    expect(h.requests).toHaveLength(0);
    expect(h.logs).toEqual([expect.objectContaining({ level: 'warn' })]);
  });
});

describe('google drive plugin: input schemas', () => {
  it('refuses malformed inputs before any call', () => {
    const ajv = createSchemaCompiler();
    const upload = ajv.compile(drive.actions.uploadFromUrl.inputSchema);
    expect(upload({ url: 'https://cdn.example.com/r.mp4', name: 'r.mp4', folderId: '1AbC_d-9' })).toBe(true);
    expect(upload({ url: 'ftp://cdn.example.com/r.mp4', name: 'r.mp4' })).toBe(false);
    expect(upload({ url: 'https://cdn.example.com/r.mp4', name: 'a\u0001b' })).toBe(false);
    expect(upload({ url: 'https://cdn.example.com/r.mp4', name: 'r.mp4', folderId: "x' or '1'='1" })).toBe(false);
    expect(upload({ url: 'https://cdn.example.com/r.mp4', name: 'r.mp4', extra: true })).toBe(false);
    const create = ajv.compile(drive.actions.createFolder.inputSchema);
    expect(create({ name: 'Recordings' })).toBe(true);
    expect(create({})).toBe(false);
    const list = ajv.compile(drive.actions.listFolders.inputSchema);
    expect(list({ pageSize: 1001 })).toBe(false);
    const settings = ajv.compile(drive.settingsSchema);
    expect(settings({ folderId: 'root', folderLayout: '{date}/{roomId}', timeZone: 'America/Sao_Paulo' })).toBe(true);
    expect(settings({ folderLayout: '{anything}' })).toBe(false);
  });
});
