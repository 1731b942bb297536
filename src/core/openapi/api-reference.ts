import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request, Response } from 'express';

export const API_REFERENCE_PATH = '/reference';
const BUNDLE = 'redoc.standalone.js';

/**
 * ReDoc's standalone bundle: copied into `dist/assets` by the build (the image ships no dev
 * dependencies), read from the `redoc` package when running from source.
 */
function bundlePath(): string {
  const built = join(dirname(fileURLToPath(import.meta.url)), '../../../assets', BUNDLE);
  if (existsSync(built)) return built;
  return createRequire(import.meta.url).resolve(`redoc/bundles/${BUNDLE}`);
}

/**
 * The page names its script and the document; ReDoc's bundle starts itself on the `<redoc>` element,
 * so the page holds no inline script (its Content-Security-Policy is in browser-policy.ts).
 */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Plugboard API reference</title>
</head>
<body>
<redoc spec-url="../openapi.json" expand-responses="200,201,202"></redoc>
<script src="${API_REFERENCE_PATH}/${BUNDLE}"></script>
</body>
</html>
`;

/** ReDoc at /reference: the same document as Swagger UI at /docs, for reading. */
export function mountApiReference(app: NestExpressApplication): void {
  const bundle = bundlePath();
  app.use(API_REFERENCE_PATH, (request: Request, response: Response, next: () => void) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return next();
    if (request.path === '/' || request.path === '') return void response.type('html').set('Cache-Control', 'no-cache').send(PAGE);
    if (request.path === `/${BUNDLE}`) return void response.type('js').set('Cache-Control', 'public, max-age=3600').sendFile(bundle);
    next();
  });
}
