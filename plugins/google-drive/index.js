// Google Drive provider for Plugboard, written against the Google Drive API v3 reference (https://developers.google.com/workspace/drive/api/reference/rest/v3) and its resumable upload guide (https://developers.google.com/workspace/drive/api/guides/manage-uploads#resumable).
import { definePlugin, ProviderRateLimitedError, ProviderRejectedError, readInChunks } from 'plugboard/sdk';

/**
 * @typedef {{ folderId?: string, folderLayout?: string, timeZone?: string }} DriveSettings
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, DriveSettings>} DriveContext
 * @typedef {import('plugboard/sdk').FileChunk} Chunk
 */

const ORIGIN = 'https://www.googleapis.com';
const FOLDER_MIME = 'application/vnd.google-apps.folder';
/** Drive takes resumable chunks in multiples of 256 KiB (all but the last); 8 MiB is 32 of them, well under what ctx.http carries. */
const CHUNK_QUANTUM = 256 * 1024;
const CHUNK_SIZE = 32 * CHUNK_QUANTUM;
const FOLDER_FIELDS = 'id,name,parents,createdTime,modifiedTime,webViewLink';
const FILE_FIELDS = 'id,name,mimeType,size,md5Checksum,parents,webViewLink,createdTime';
/** How many times one chunk is sent again after Drive kept only part of it or failed (5xx). */
const CHUNK_ATTEMPTS = 5;
const RECORDING_KEY = 'plugboardRecordingId';
const LAYOUTS = ['{date}/{roomId}/{sessionId}', '{date}/{roomId}', '{date}', '{roomId}/{sessionId}', '{roomId}/{date}', 'flat'];
const RATE_REASONS = new Set(['userRateLimitExceeded', 'rateLimitExceeded']);
const DRIVE_ID = '^(root|[A-Za-z0-9_-]{1,200})$';

/**
 * Google's `{ error: { code, message, status, errors: [{ reason }] } }`: the message to show, with the
 * two refusals a person can act on put in words.
 */
function driveMessage(body) {
  const error = body?.error;
  if (!error || typeof error !== 'object') return typeof body?.error_description === 'string' ? body.error_description : undefined;
  const reason = error.errors?.[0]?.reason;
  if (error.code === 401 || error.status === 'UNAUTHENTICATED') return 'Google refused the access token: connect Google Drive again.';
  if (reason === 'insufficientPermissions' || error.details?.some?.((detail) => detail?.reason === 'ACCESS_TOKEN_SCOPE_INSUFFICIENT')) {
    return 'Google Drive access was not granted: connect again and allow Plugboard to create files in your Drive.';
  }
  return typeof error.message === 'string' && error.message ? error.message : undefined;
}

/** How Drive's errors read (the declared verify and health check use it as well). */
const errors = { message: driveMessage, rateLimited: [429] };

function retryAfterSeconds(response) {
  const value = Number(response.headers.get('retry-after'));
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** A refusal, a rate limit (Drive says 403 userRateLimitExceeded as well as 429), or an outage. */
async function driveFailure(response) {
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const status = response.status;
  const reason = body?.error?.errors?.[0]?.reason;
  const message = driveMessage(body) ?? `Google Drive answered HTTP ${status}`;
  if (status === 429 || (status === 403 && RATE_REASONS.has(reason))) return new ProviderRateLimitedError(message, retryAfterSeconds(response));
  if (status >= 400 && status < 500 && status !== 408) return new ProviderRejectedError(message);
  return new Error(`Google Drive answered HTTP ${status}: ${message}`);
}

/**
 * Calls the Drive API (the host adds the bearer token under https://www.googleapis.com and refreshes
 * it first when it is about to expire).
 * @param {DriveContext} ctx
 */
async function drive(ctx, path, init = {}) {
  const response = await ctx.http(path, init);
  if (!response.ok) throw await driveFailure(response);
  const text = await response.text();
  return text ? JSON.parse(text) : {};
}

/** A string literal of Drive's query language. */
const literal = (value) => `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function folderRecord(file) {
  return {
    id: file.id,
    name: file.name,
    parents: file.parents ?? [],
    createdTime: file.createdTime ?? null,
    modifiedTime: file.modifiedTime ?? null,
    webViewLink: file.webViewLink ?? null,
  };
}

function fileRecord(file) {
  return {
    id: file.id,
    name: file.name,
    mimeType: file.mimeType ?? null,
    size: file.size === undefined ? null : Number(file.size),
    md5Checksum: file.md5Checksum ?? null,
    parents: file.parents ?? [],
    webViewLink: file.webViewLink ?? null,
    createdTime: file.createdTime ?? null,
  };
}

/** @param {DriveContext} ctx */
async function listFiles(ctx, q, { fields, pageSize = 100, pageToken, orderBy } = {}) {
  const query = new URLSearchParams({ q, pageSize: String(pageSize), fields: `nextPageToken,files(${fields})`, spaces: 'drive', supportsAllDrives: 'true', includeItemsFromAllDrives: 'true' });
  if (orderBy) query.set('orderBy', orderBy);
  if (pageToken) query.set('pageToken', pageToken);
  return drive(ctx, `/drive/v3/files?${query}`);
}

/** @param {DriveContext} ctx */
async function listFolders(ctx, { parentId = 'root', pageSize = 100, pageToken } = {}) {
  const page = await listFiles(ctx, `mimeType='${FOLDER_MIME}' and trashed=false and ${literal(parentId)} in parents`, { fields: FOLDER_FIELDS, pageSize, pageToken, orderBy: 'name' });
  return { folders: (page.files ?? []).map(folderRecord), nextPageToken: page.nextPageToken ?? null };
}

/** @param {DriveContext} ctx */
async function createFolder(ctx, { name, parentId = 'root' }) {
  const folder = await drive(ctx, `/drive/v3/files?${new URLSearchParams({ fields: FOLDER_FIELDS, supportsAllDrives: 'true' })}`, {
    method: 'POST',
    body: { name, mimeType: FOLDER_MIME, parents: [parentId] },
  });
  return folderRecord(folder);
}

/** The folder called `name` under `parentId`, created when there is none. @param {DriveContext} ctx */
async function ensureFolder(ctx, name, parentId) {
  const found = await listFiles(ctx, `name=${literal(name)} and mimeType='${FOLDER_MIME}' and trashed=false and ${literal(parentId)} in parents`, { fields: 'id,name', pageSize: 1 });
  if (found.files?.length) return found.files[0].id;
  return (await createFolder(ctx, { name, parentId })).id;
}

// ---- Writing to Drive: a resumable upload session -------------------------------------------------

const EMPTY = new Uint8Array(0);

const MEDIA_TYPES = {
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.mov': 'video/quicktime',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/opus',
  '.wav': 'audio/wav',
  '.aac': 'audio/aac',
  '.flac': 'audio/flac',
};
const EXTENSIONS = Object.fromEntries(Object.entries(MEDIA_TYPES).map(([extension, type]) => [type, extension]));
const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/;

function extensionOf(url) {
  const match = /\.([a-z0-9]{2,5})$/i.exec(new URL(url).pathname);
  return match && MEDIA_TYPES[`.${match[1].toLowerCase()}`] ? `.${match[1].toLowerCase()}` : undefined;
}

/** The type Drive stores: the one given, else the server's (unless generic), else by extension. */
function mediaTypeFor(given, served, name) {
  if (given) return given;
  const type = served?.split(';')[0].trim().toLowerCase();
  if (type && MEDIA_TYPE.test(type) && type !== 'application/octet-stream') return type;
  const extension = /\.[a-z0-9]{2,5}$/i.exec(name)?.[0].toLowerCase();
  return (extension && MEDIA_TYPES[extension]) ?? 'application/octet-stream';
}

/** Starts a resumable upload; answers the session URI. @param {DriveContext} ctx */
async function startUpload(ctx, metadata, mediaType, total) {
  const query = new URLSearchParams({ uploadType: 'resumable', supportsAllDrives: 'true', fields: FILE_FIELDS });
  const response = await ctx.http(`/upload/drive/v3/files?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=UTF-8', 'x-upload-content-type': mediaType, ...(total === undefined ? {} : { 'x-upload-content-length': String(total) }) },
    body: metadata,
  });
  if (!response.ok) throw await driveFailure(response);
  await response.arrayBuffer();
  const location = response.headers.get('location');
  let session;
  try {
    session = new URL(location ?? '');
  } catch {
    session = undefined;
  }
  // The session URI carries the bearer token (it is under the base URL): only ever Google's upload endpoint.
  if (!session || session.origin !== ORIGIN || !session.pathname.startsWith('/upload/drive/v3/files') || !session.searchParams.get('upload_id')) {
    throw new Error('Google Drive did not answer a resumable session URI');
  }
  return session.href;
}

/** The number of bytes Drive holds, from a 308's `Range: bytes=0-N` (none when absent). */
function persistedBytes(response) {
  const match = /^bytes=0-(\d+)$/.exec(response.headers.get('range') ?? '');
  return match ? Number(match[1]) + 1 : 0;
}

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });

/**
 * Sends one chunk with its Content-Range. Drive answers 308 with the bytes it holds (the rest of the
 * chunk is sent again), or 200/201 with the file after the last one; after a 5xx or a lost answer the
 * upload's status is asked (`bytes *\/size`) and it resumes from there.
 * @param {DriveContext} ctx
 * @param {Chunk} chunk
 */
async function sendChunk(ctx, session, chunk) {
  const end = chunk.offset + chunk.bytes.length;
  const size = chunk.last ? String(chunk.total) : String(chunk.total ?? '*');
  let sent = chunk.offset;
  let ask = false;
  for (let attempt = 1; ; attempt += 1) {
    const body = ask ? EMPTY : chunk.bytes.subarray(sent - chunk.offset);
    const range = ask ? `bytes */${size}` : `bytes ${sent}-${end - 1}/${size}`;
    let response;
    try {
      response = await ctx.http(session, { method: 'PUT', headers: { 'content-range': range }, body });
    } catch (error) {
      if (attempt >= CHUNK_ATTEMPTS || ctx.signal.aborted) throw error;
    }
    if (response && (response.status === 200 || response.status === 201)) {
      const file = JSON.parse(await response.text());
      if (!chunk.last) throw new Error('Google Drive completed the upload before its last chunk');
      return file;
    }
    if (response?.status === 308) {
      await response.arrayBuffer();
      const held = persistedBytes(response);
      if (held >= end) {
        if (chunk.last) throw new Error('Google Drive holds every byte but did not complete the upload');
        return undefined;
      }
      if (held < chunk.offset) throw new Error(`Google Drive lost bytes of an earlier chunk (it holds ${held}, expected ${chunk.offset})`);
      if (held === sent && !ask && attempt >= CHUNK_ATTEMPTS) throw new Error('Google Drive keeps refusing the rest of a chunk');
      sent = held;
      ask = false;
      continue;
    }
    if (response?.status === 404 || response?.status === 410) {
      await response.arrayBuffer();
      throw new Error('The Google Drive upload session expired: the recording has to be uploaded again.');
    }
    if (response && response.status < 500) throw await driveFailure(response);
    if (response) await response.arrayBuffer();
    if (attempt >= CHUNK_ATTEMPTS) throw new Error(`Google Drive failed the upload (HTTP ${response?.status ?? 'no answer'}) ${attempt} times`);
    await sleep(250 * 2 ** (attempt - 1), ctx.signal);
    ask = true;
  }
}

/**
 * Copies the file at `url` into Drive chunk by chunk: read one range, send it, read the next.
 * @param {DriveContext} ctx
 */
async function uploadFromUrl(ctx, { url, name, baseName, folderId, mimeType, description, appProperties }) {
  let session;
  let file;
  let chunks = 0;
  let bytes = 0;
  for await (const chunk of readInChunks(ctx, url, { chunkSize: CHUNK_SIZE, label: 'recording' })) {
    if (!session) {
      const mediaType = mediaTypeFor(mimeType, chunk.contentType, name ?? '');
      // Without a name, `baseName` and the extension of the type the server said (recording-1.mp4).
      const stored = name ?? `${baseName}${EXTENSIONS[mediaType] ?? ''}`;
      const metadata = {
        name: stored,
        parents: [folderId ?? 'root'],
        ...(description ? { description } : {}),
        ...(appProperties ? { appProperties } : {}),
      };
      session = await startUpload(ctx, metadata, mediaType, chunk.total);
    }
    file = await sendChunk(ctx, session, chunk);
    chunks += 1;
    bytes += chunk.bytes.length;
  }
  return { ...fileRecord(file), chunks, bytes };
}

// ---- Recordings ------------------------------------------------------------------------------------

/** A Drive file or folder name from a host id: no slashes or control characters, at most 200 characters. */
function safeName(value) {
  const name = String(value)
    .replace(/[\u0000-\u001f\u007f/\\]/g, '_')
    .trim()
    .slice(0, 200);
  return name || '_';
}

/** `YYYY-MM-DD` of `when` in `timeZone` (UTC when it is not a zone this runtime knows). */
function dateIn(when, timeZone) {
  const at = Number.isNaN(Date.parse(when)) ? new Date() : new Date(when);
  let parts;
  try {
    parts = new Intl.DateTimeFormat('en-CA', { timeZone: timeZone || 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  } catch {
    parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  }
  const part = (type) => parts.find((entry) => entry.type === type)?.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** The folder names under the destination, by layout; a part the event lacks (no room, no session) is left out. */
function folderSegments(layout, data, date) {
  if (layout === 'flat') return [];
  const values = { date, roomId: data.roomId, sessionId: data.sessionId };
  return layout
    .split('/')
    .map((part) => values[part.slice(1, -1)])
    .filter((value) => value !== undefined && value !== null && value !== '')
    .map(safeName);
}

function describeRecording(data) {
  const minutes = typeof data.durationSeconds === 'number' ? ` (${Math.round(data.durationSeconds / 60)} min)` : '';
  return `Recording ${data.recordingId}${data.sessionId ? ` of session ${data.sessionId}` : ''}${data.roomId ? ` in room ${data.roomId}` : ''}${minutes}, copied by Plugboard.`;
}

const id = { type: 'string', pattern: DRIVE_ID, maxLength: 200 };
const fileName = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^\\u0000-\\u001f\\u007f]+$' };

export default definePlugin({
  providers: [
    {
      id: 'google_drive',
      name: 'Google Drive',
      category: 'cloud_storage',
      description: 'Copy session recordings into Google Drive, in folders by date, room and session; list and create folders.',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
        tokenUrl: 'https://oauth2.googleapis.com/token',
        // drive.file: only the files and folders this app creates or the user opens with it.
        scopes: ['https://www.googleapis.com/auth/drive.file'],
        scopeSeparator: ' ',
        pkce: true,
        // offline + consent: Google issues a refresh token on every connection, not only the first.
        authorizationParams: { access_type: 'offline', prompt: 'consent' },
        refresh: true,
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          folderId: {
            ...id,
            default: 'root',
            title: 'Destination folder',
            description: 'Id of the Drive folder recordings go into (see the listFolders and createFolder actions); "root" is My Drive',
          },
          folderLayout: {
            type: 'string',
            enum: LAYOUTS,
            default: LAYOUTS[0],
            title: 'Folder layout',
            description: 'Folders made under the destination for each recording; a part the recording lacks (no room or session) is left out',
          },
          timeZone: {
            type: 'string',
            maxLength: 64,
            pattern: '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$',
            default: 'UTC',
            title: 'Time zone',
            description: 'IANA time zone of the {date} folder, e.g. Europe/Lisbon',
          },
        },
      },
      baseUrl: ORIGIN,
      errors,
      // Drive's documented quota: 12,000 queries per 60 seconds per user, and as many per project.
      rateLimits: [
        { requests: 12_000, windowMs: 60_000, scope: 'account', accountKey: 'permissionId' },
        { requests: 12_000, windowMs: 60_000, scope: 'app' },
      ],

      verify: {
        request: { path: '/drive/v3/about', query: { fields: 'user' } },
        displayName: (body) => body?.user?.displayName || body?.user?.emailAddress,
        metadata: { email: '/user/emailAddress', permissionId: '/user/permissionId', displayName: '/user/displayName' },
      },

      healthCheck: { request: { path: '/drive/v3/about', query: { fields: 'user(permissionId)' } } },

      actions: {
        listFolders: {
          description: 'Lists the folders in a folder (My Drive when parentId is absent) that this app can see, by name; page with pageToken.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              parentId: id,
              pageSize: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
              pageToken: { type: 'string', minLength: 1, maxLength: 2048 },
            },
          },
          run: listFolders,
        },
        createFolder: {
          description: 'Creates a folder (in My Drive when parentId is absent).',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            properties: { name: fileName, parentId: id },
          },
          run: createFolder,
        },
        uploadFromUrl: {
          description: 'Copies the file at a URL into Drive by resumable upload, 8 MiB at a time, whatever its size.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['url', 'name'],
            properties: {
              url: { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 4096 },
              name: fileName,
              folderId: id,
              mimeType: { type: 'string', pattern: MEDIA_TYPE.source, maxLength: 255, description: 'Defaults to the type the URL serves' },
              description: { type: 'string', maxLength: 4000 },
            },
          },
          /** @param {DriveContext} ctx */
          run: (ctx, input) => uploadFromUrl(ctx, input),
        },
      },

      onEvent: {
        /**
         * Copies the recording into the destination folder, under the configured layout. A recording
         * already copied (found by its id in the file's appProperties) is not copied again.
         * @param {DriveContext} ctx
         */
        async 'recording.completed'(ctx, event) {
          const data = event.data ?? {};
          if (data.recordingId === undefined || typeof data.url !== 'string' || !/^https?:\/\//i.test(data.url)) {
            ctx.log.warn('recording without an id or an http(s) url: nothing to copy', { eventId: event.id });
            return;
          }
          const settings = ctx.settings ?? {};
          const date = dateIn(event.timestamp, settings.timeZone);
          let folderId = settings.folderId ?? 'root';
          for (const segment of folderSegments(settings.folderLayout ?? LAYOUTS[0], data, date)) folderId = await ensureFolder(ctx, segment, folderId);
          const recordingId = String(data.recordingId);
          const copied = await listFiles(
            ctx,
            `appProperties has { key='${RECORDING_KEY}' and value=${literal(recordingId)} } and trashed=false and ${literal(folderId)} in parents`,
            { fields: 'id,name', pageSize: 1 },
          );
          if (copied.files?.length) {
            ctx.log.info('recording already in Google Drive', { eventId: event.id, fileId: copied.files[0].id });
            return;
          }
          const baseName = `recording-${safeName(recordingId)}`;
          const extension = extensionOf(data.url);
          const file = await uploadFromUrl(ctx, {
            url: data.url,
            ...(extension ? { name: `${baseName}${extension}` } : { baseName }),
            folderId,
            description: describeRecording(data),
            appProperties: { [RECORDING_KEY]: recordingId.slice(0, 100) },
          });
          ctx.log.info('recording copied to Google Drive', { eventId: event.id, fileId: file.id, bytes: file.bytes, chunks: file.chunks });
        },
      },
    },
  ],
});
