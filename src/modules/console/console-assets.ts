import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../../core/config/config.js';
import { NotFoundError } from '../../core/errors/app-errors.js';

export const CONSOLE_PATH = '/console';
export const CONNECT_PAGE_PATH = '/connect';
const EMBED_SCRIPT = 'embed.js';

/**
 * The web console's single-page app: hashed assets cached for a year, every other path under /console
 * (and the hosted connect page under /connect) answered with its index.html, never cached, so a new
 * build reaches browsers at once. The pages' Content-Security-Policy is in core/http/browser-policy.ts.
 */
export function mountConsole(app: NestExpressApplication, config: AppConfig): void {
  const index = join(config.consoleDir, 'index.html');
  app.useStaticAssets(join(config.consoleDir, 'assets'), {
    prefix: `${CONSOLE_PATH}/assets`,
    immutable: true,
    maxAge: '365d',
    index: false,
    fallthrough: false,
  });
  const page = (request: Request, response: Response, next: NextFunction) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return next();
    if (!existsSync(index)) return next(new NotFoundError('The console (build it with `npm run build`)'));
    response.set('Cache-Control', 'no-cache').sendFile(index);
  };
  // The host pages' embed script: a stable URL, so cached briefly, and loaded by pages of other origins.
  app.use(`${CONNECT_PAGE_PATH}/${EMBED_SCRIPT}`, (request: Request, response: Response, next: NextFunction) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || request.path !== '/') return next();
    const script = join(config.consoleDir, EMBED_SCRIPT);
    if (!existsSync(script)) return next(new NotFoundError('The embed script (build it with `npm run build`)'));
    response.set('Cross-Origin-Resource-Policy', 'cross-origin').sendFile(script, { maxAge: 300_000 });
  });
  app.use(CONSOLE_PATH, page);
  app.use(CONNECT_PAGE_PATH, page);
}
