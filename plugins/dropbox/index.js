// Dropbox provider for Plugboard, written against the Dropbox API v2 HTTP reference (https://www.dropbox.com/developers/documentation/http/documentation) and its OAuth guide (https://developers.dropbox.com/oauth-guide).
import { createHash } from 'node:crypto';
import { definePlugin, ProviderRateLimitedError, ProviderRejectedError, readInChunks } from 'plugboard/sdk';

/**
 * @typedef {{ folderPath?: string, folderLayout?: string, timeZone?: string }} DropboxSettings
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, DropboxSettings>} DropboxContext
 * @typedef {import('plugboard/sdk').FileChunk} Chunk
 */

/** RPC endpoints (JSON bodies); the host adds the bearer token under this base URL. */
const API = 'https://api.dropboxapi.com/2';
/** Content endpoints (arguments in the Dropbox-API-Arg header, bytes in the body): the plugin adds the token itself. */
const CONTENT = 'https://content.dropboxapi.com/2';
/** Dropbox takes at most 150 MiB per upload call; 8 MiB (two of its 4 MiB content-hash blocks) fits what ctx.http carries. */
const CHUNK_SIZE = 8 * 1024 * 1024;
const HASH_BLOCK = 4 * 1024 * 1024;
const ATTEMPTS = 4;
const LAYOUTS = ['{date}/{roomId}/{sessionId}', '{date}/{roomId}', '{date}', '{roomId}/{sessionId}', '{roomId}/{date}', 'flat'];
/** A Dropbox path: "" (the root) or /a/b, never ending in a slash. */
const PATH = '^(/[^/\\u0000-\\u001f]+)*$';

// ---- Errors -------------------------------------------------------------------------------------

/** Error tags (from error_summary) a person can act on, in words. */
const READABLE = {
  'conflict/file': 'A file is already at that path.',
  'conflict/folder': 'A folder is already at that path.',
  'conflict/file_ancestor': 'A file is in the way of a folder on that path.',
  not_found: 'There is nothing at that path in Dropbox.',
  not_folder: 'That path is a file, not a folder.',
  not_file: 'That path is a folder, not a file.',
  malformed_path: 'The path is not a valid Dropbox path.',
  insufficient_space: 'The Dropbox account is out of space.',
  no_write_permission: 'This Dropbox account may not write to that path.',
  disallowed_name: 'Dropbox does not allow that file name.',
  restricted_content: 'Dropbox restricts that content.',
  too_many_write_operations: 'Too many writes are happening in this Dropbox account; try again shortly.',
  invalid_access_token: 'Dropbox refused the access token: connect Dropbox again.',
  expired_access_token: 'The Dropbox access token has expired: connect Dropbox again if this persists.',
  user_suspended: 'This Dropbox account is suspended.',
  reset: 'The listing cursor is no longer valid: list the folder again without it.',
};

/**
 * Dropbox's `{ error_summary: "path/not_found/..", error: { ".tag": ... }, user_message? }`: the
 * user message when there is one, else the most specific known tag in words, with the summary.
 */
function dropboxMessage(body) {
  if (typeof body?.user_message?.text === 'string' && body.user_message.text) return body.user_message.text;
  const summary = typeof body?.error_summary === 'string' ? body.error_summary.replace(/\/\.*$/, '').replace(/\/+$/, '') : undefined;
  if (!summary) return typeof body?.error_description === 'string' ? body.error_description : undefined;
  if (body.error?.['.tag'] === 'missing_scope') {
    return `This Dropbox connection lacks the ${body.error.required_scope ?? 'required'} permission: connect Dropbox again and allow it.`;
  }
  const tags = summary.split('/');
  for (let index = tags.length - 1; index >= 0; index -= 1) {
    const readable = READABLE[tags.slice(index, index + 2).join('/')] ?? READABLE[tags[index]];
    if (readable) return `${readable} (${summary})`;
  }
  return `Dropbox refused the request: ${summary}`;
}

/** How Dropbox's errors read (the declared verify and health check use it as well). */
const errors = { message: dropboxMessage, rateLimited: [429] };

/**
 * What a failed call means: 400 is a plain-text complaint about the request, 401/403/409 JSON refusals,
 * 429 a rate limit (Retry-After), 5xx an outage. The parsed body is kept on the error for callers that
 * recover from some endpoint errors (incorrect_offset).
 */
async function dropboxFailure(response) {
  const status = response.status;
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (status === 429) {
    const header = Number(response.headers.get('retry-after'));
    const seconds = Number.isFinite(header) && header >= 0 ? header : Number(body?.error?.retry_after);
    return new ProviderRateLimitedError(dropboxMessage(body) ?? 'Dropbox is rate limiting this app', Number.isFinite(seconds) ? seconds : undefined);
  }
  if (status >= 400 && status < 500 && status !== 408) {
    const message = dropboxMessage(body) ?? `Dropbox refused the request: ${text.trim().slice(0, 500) || `HTTP ${status}`}`;
    return Object.assign(new ProviderRejectedError(message), { dropbox: body });
  }
  return Object.assign(new Error(`Dropbox answered HTTP ${status}: ${dropboxMessage(body) ?? text.trim().slice(0, 200)}`), { retryable: true });
}

async function answer(response) {
  if (!response.ok) throw await dropboxFailure(response);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** An RPC call: POST with a JSON body (none for routes without arguments). @param {DropboxContext} ctx */
const rpc = async (ctx, route, arg) => answer(await ctx.http(`/${route}`, { method: 'POST', ...(arg === undefined ? {} : { body: arg }) }));

/** The Dropbox-API-Arg header: JSON with 0x7F and every non-ASCII character escaped, as HTTP headers need. */
const headerJson = (value) => JSON.stringify(value).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A content-upload call: arguments in Dropbox-API-Arg, bytes in the body. @param {DropboxContext} ctx */
async function upload(ctx, route, arg, bytes) {
  const response = await ctx.http(`${CONTENT}/${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.credentials.accessToken}`, 'dropbox-api-arg': headerJson(arg), 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  return answer(response);
}

// ---- Folders ------------------------------------------------------------------------------------

function folderRecord(entry) {
  return { id: entry.id, name: entry.name, path: entry.path_display ?? null, pathLower: entry.path_lower ?? null };
}

function fileRecord(entry) {
  return {
    id: entry.id,
    name: entry.name,
    path: entry.path_display ?? null,
    pathLower: entry.path_lower ?? null,
    size: entry.size,
    rev: entry.rev,
    contentHash: entry.content_hash ?? null,
    serverModified: entry.server_modified ?? null,
  };
}

/**
 * The folders in a folder: list_folder, then list_folder/continue while has_more, until `limit`
 * folders are in hand (the rest from `cursor`).
 * @param {DropboxContext} ctx
 */
async function listFolders(ctx, { path = '', cursor, limit = 500 } = {}) {
  let page = cursor
    ? await rpc(ctx, 'files/list_folder/continue', { cursor })
    : await rpc(ctx, 'files/list_folder', { path: path === '/' ? '' : path, limit: Math.min(limit, 2000), include_mounted_folders: true });
  const folders = [];
  for (;;) {
    folders.push(...page.entries.filter((entry) => entry['.tag'] === 'folder').map(folderRecord));
    if (!page.has_more || folders.length >= limit) break;
    page = await rpc(ctx, 'files/list_folder/continue', { cursor: page.cursor });
  }
  return { folders, cursor: page.cursor, hasMore: page.has_more };
}

// ---- Writing to Dropbox: files/upload, or an upload session --------------------------------------

/** Dropbox's content hash: SHA-256 over the SHA-256 of each 4 MiB block, kept as the bytes go by. */
function contentHasher() {
  const digests = [];
  let block = createHash('sha256');
  let filled = 0;
  return {
    update(bytes) {
      for (let at = 0; at < bytes.length; ) {
        const take = Math.min(HASH_BLOCK - filled, bytes.length - at);
        block.update(bytes.subarray(at, at + take));
        filled += take;
        at += take;
        if (filled === HASH_BLOCK) {
          digests.push(block.digest());
          block = createHash('sha256');
          filled = 0;
        }
      }
    },
    digest() {
      if (filled > 0) digests.push(block.digest());
      return createHash('sha256').update(Buffer.concat(digests)).digest('hex');
    },
  };
}

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });

/** `correct_offset` of an incorrect_offset refusal (append's own, or finish's lookup_failed). */
function correctOffset(error) {
  const body = error?.dropbox?.error;
  const lookup = body?.['.tag'] === 'lookup_failed' ? body.lookup_failed : body;
  return lookup?.['.tag'] === 'incorrect_offset' && Number.isInteger(lookup.correct_offset) ? lookup.correct_offset : undefined;
}

/**
 * Sends a chunk's bytes from `sent` on with the cursor offset Dropbox expects. When Dropbox already
 * holds part of them (a lost answer), it says `incorrect_offset` with the correct one and the rest is
 * sent from there; a 5xx or a broken connection is tried again.
 * @param {DropboxContext} ctx
 * @param {Chunk} chunk
 */
async function sendChunk(ctx, route, argAt, chunk) {
  const end = chunk.offset + chunk.bytes.length;
  let sent = chunk.offset;
  for (let attempt = 1; ; attempt += 1) {
    if (sent === end && route === 'files/upload_session/append_v2') return null;
    try {
      return await upload(ctx, route, argAt(sent), chunk.bytes.subarray(sent - chunk.offset));
    } catch (error) {
      const correct = correctOffset(error);
      if (correct !== undefined && correct >= chunk.offset && correct <= end && attempt < ATTEMPTS) {
        sent = correct;
        continue;
      }
      const transient = error?.retryable === true || !(error && 'code' in error);
      if (!transient || correct !== undefined || attempt >= ATTEMPTS || ctx.signal.aborted) throw error;
      await sleep(250 * 2 ** (attempt - 1), ctx.signal);
    }
  }
}

/**
 * Copies the file at `url` to `path` chunk by chunk: read one range, send it, read the next. One
 * chunk goes by files/upload; more by upload_session/start, append_v2 and finish. `path` may be a
 * function of the type the server says (to name by it); with `skipExisting`, a file already at the
 * path is left as it is.
 * @param {DropboxContext} ctx
 */
async function uploadFromUrl(ctx, { url, path, mode = 'add', autorename = false, skipExisting = false }) {
  const hasher = contentHasher();
  let target;
  let sessionId;
  let stored;
  let chunks = 0;
  let bytes = 0;
  for await (const chunk of readInChunks(ctx, url, { chunkSize: CHUNK_SIZE, label: 'recording' })) {
    if (target === undefined) {
      target = typeof path === 'function' ? path(chunk.contentType) : path;
      if (skipExisting) {
        const existing = await metadataAt(ctx, target);
        if (existing?.['.tag'] === 'file') return { ...fileRecord(existing), skipped: true };
      }
    }
    hasher.update(chunk.bytes);
    const commit = { path: target, mode, autorename, mute: false, strict_conflict: false };
    if (chunk.offset === 0 && chunk.last) stored = await sendChunk(ctx, 'files/upload', () => commit, chunk);
    else if (chunk.offset === 0) sessionId = (await upload(ctx, 'files/upload_session/start', { close: false }, chunk.bytes)).session_id;
    else if (!chunk.last) await sendChunk(ctx, 'files/upload_session/append_v2', (offset) => ({ cursor: { session_id: sessionId, offset }, close: false }), chunk);
    else stored = await sendChunk(ctx, 'files/upload_session/finish', (offset) => ({ cursor: { session_id: sessionId, offset }, commit }), chunk);
    chunks += 1;
    bytes += chunk.bytes.length;
  }
  const expected = hasher.digest();
  if (stored.content_hash && stored.content_hash !== expected) throw new Error(`Dropbox holds other bytes than were read (content_hash ${stored.content_hash}, expected ${expected})`);
  return { ...fileRecord(stored), chunks, bytes };
}

/** The metadata at a path, or undefined when there is nothing there. @param {DropboxContext} ctx */
async function metadataAt(ctx, path) {
  try {
    return await rpc(ctx, 'files/get_metadata', { path });
  } catch (error) {
    if (error?.dropbox?.error?.['.tag'] === 'path' && error.dropbox.error.path?.['.tag'] === 'not_found') return undefined;
    throw error;
  }
}

// ---- Recordings ------------------------------------------------------------------------------------

const EXTENSIONS = {
  'video/mp4': '.mp4',
  'audio/mp4': '.m4a',
  'video/webm': '.webm',
  'audio/webm': '.weba',
  'video/x-matroska': '.mkv',
  'video/quicktime': '.mov',
  'audio/mpeg': '.mp3',
  'audio/ogg': '.ogg',
  'audio/opus': '.opus',
  'audio/wav': '.wav',
  'audio/aac': '.aac',
  'audio/flac': '.flac',
};

/** The recording's extension: the URL's, else from the type the server says. */
function extensionFor(url, contentType) {
  const fromUrl = /\.([a-z0-9]{2,5})$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase();
  if (fromUrl && Object.values(EXTENSIONS).includes(`.${fromUrl}`)) return `.${fromUrl}`;
  return EXTENSIONS[contentType?.split(';')[0].trim().toLowerCase() ?? ''] ?? '';
}

/** A Dropbox file or folder name from a host id: no slashes, control or reserved characters, no trailing dot or space. */
function safeName(value) {
  const name = String(value)
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_')
    .trim()
    .replace(/[. ]+$/, '')
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

const path = { type: 'string', pattern: PATH, maxLength: 1024 };

export default definePlugin({
  providers: [
    {
      id: 'dropbox',
      name: 'Dropbox',
      category: 'cloud_storage',
      description: 'Copy session recordings into Dropbox, in folders by date, room and session; list folders.',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://www.dropbox.com/oauth2/authorize',
        tokenUrl: 'https://api.dropboxapi.com/oauth2/token',
        scopes: ['account_info.read', 'files.metadata.read', 'files.content.write'],
        scopeSeparator: ' ',
        pkce: true,
        // Short-lived access tokens (four hours) and, with offline access, a refresh token.
        authorizationParams: { token_access_type: 'offline' },
        refresh: true,
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          folderPath: {
            ...path,
            default: '/Recordings',
            title: 'Destination folder',
            description: 'Dropbox folder recordings go into, e.g. /Recordings ("" is the root); folders are created as needed',
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
      baseUrl: API,
      errors,
      // No rateLimits: Dropbox publishes no fixed numbers. It answers 429 with Retry-After (too_many_requests,
      // too_many_write_operations), which the host waits out when it can and which otherwise becomes provider_rate_limited.

      verify: {
        request: { method: 'POST', path: '/users/get_current_account' },
        displayName: '/name/display_name',
        metadata: { dropboxAccountId: '/account_id', email: '/email', displayName: '/name/display_name', accountType: '/account_type/.tag' },
      },

      healthCheck: { request: { method: 'POST', path: '/check/user', body: { query: 'plugboard' } } },

      actions: {
        listFolders: {
          description: 'Lists the folders in a folder (the root when path is absent), following has_more until limit folders; continue with cursor.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              path: { type: 'string', pattern: '^((/[^/\\u0000-\\u001f]+)*|/|id:[A-Za-z0-9_-]+)$', maxLength: 1024, description: 'A folder path such as /Recordings, or an id:…; the root when absent' },
              cursor: { type: 'string', minLength: 1, maxLength: 4096 },
              limit: { type: 'integer', minimum: 1, maximum: 2000, default: 500 },
            },
          },
          run: listFolders,
        },
        uploadFromUrl: {
          description: 'Copies the file at a URL to a Dropbox path, 8 MiB at a time through an upload session, whatever its size; folders on the path are created.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['url', 'path'],
            properties: {
              url: { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 4096 },
              path: { type: 'string', pattern: '^(/[^/\\u0000-\\u001f]+)+$', maxLength: 1024, description: 'Where the file goes, e.g. /Recordings/talk.mp4' },
              mode: { type: 'string', enum: ['add', 'overwrite'], default: 'add', description: 'add keeps an existing different file (a conflict, or a new name with autorename)' },
              autorename: { type: 'boolean', default: false },
            },
          },
          /** @param {DropboxContext} ctx */
          run: (ctx, input) => uploadFromUrl(ctx, input),
        },
      },

      onEvent: {
        /**
         * Copies the recording under the destination folder and layout as recording-<id>.<ext>; a file
         * already at that path (a repeated delivery) is left as it is.
         * @param {DropboxContext} ctx
         */
        async 'recording.completed'(ctx, event) {
          const data = event.data ?? {};
          if (data.recordingId === undefined || typeof data.url !== 'string' || !/^https?:\/\//i.test(data.url)) {
            ctx.log.warn('recording without an id or an http(s) url: nothing to copy', { eventId: event.id });
            return;
          }
          const settings = ctx.settings ?? {};
          const folder = [settings.folderPath ?? '/Recordings', ...folderSegments(settings.folderLayout ?? LAYOUTS[0], data, dateIn(event.timestamp, settings.timeZone))]
            .join('/')
            .replace(/^\/?/, '/');
          const file = await uploadFromUrl(ctx, {
            url: data.url,
            path: (contentType) => `${folder === '/' ? '' : folder}/recording-${safeName(data.recordingId)}${extensionFor(data.url, contentType)}`,
            skipExisting: true,
          });
          if (file.skipped) ctx.log.info('recording already in Dropbox', { eventId: event.id, path: file.path });
          else ctx.log.info('recording copied to Dropbox', { eventId: event.id, path: file.path, bytes: file.bytes, chunks: file.chunks });
        },
      },
    },
  ],
});
