import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import type { AppConfig } from '../config/config.js';
import { API_REFERENCE_PATH } from '../openapi/api-reference.js';
import { QUEUE_DASHBOARD_PATH } from '../queue/queue-dashboard.js';

type Directives = Record<string, string[]>;

/** API answers are data: opened as a page by mistake, one may load, run and frame nothing. */
const API_POLICY: Directives = {
  defaultSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

/**
 * Swagger UI at /docs: its bundle, init script and stylesheet are same-origin files. The page template
 * of @nestjs/swagger has two inline style blocks and one style attribute, and the bundle renders a logo
 * holding one more style block: all allowed by hash (the integration test recomputes the template's
 * from the served page, so an upgrade that changes them fails there). Its icons are data: URIs;
 * "Try it out" calls this API.
 */
const DOCS_POLICY: Directives = {
  ...API_POLICY,
  scriptSrc: ["'self'"],
  styleSrc: [
    "'self'",
    "'sha256-/jDKvbQ8cdux+c5epDIqkjHbXDaIY8RucT1PmAe8FG4='",
    "'sha256-eaPyLWVdqMc60xuz5bTp2yBRgVpQSoUggte1+40ONPU='",
    // the `<style>` inside the Swagger logo the bundle renders in the top bar
    "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='",
  ],
  styleSrcAttr: ["'unsafe-hashes'", "'sha256-ezdv1bOGcoOD7FKudKN0Y2Mb763O6qVtM8LT2mtanIU='"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
};

/**
 * ReDoc at /reference: its bundle is a same-origin file and the page has no inline script. Its styles
 * come from styled-components, which adds empty `<style>` elements (allowed by the hash of the empty
 * string) and fills them through the CSSOM (`insertRule`, which a style-src does not govern), plus one
 * fixed style block of the bundle (redoc 2.5.4), allowed by its hash; its search index runs in a
 * worker made from a blob: URL. It reads /openapi.json from this origin. Its "powered by" logo on
 * cdn.redoc.ly stays blocked. Checked in headless Chromium: no other violation.
 */
const REFERENCE_POLICY: Directives = {
  ...API_POLICY,
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='", "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  workerSrc: ["'self'", 'blob:'],
  connectSrc: ["'self'"],
};

/**
 * Bull Board at /admin/queues: same-origin scripts and styles under its `<base href>`, plus by hash its
 * loading placeholder's inline style block and attributes and the one style block its app renders. Its Google Fonts stylesheet stays blocked:
 * an operator's dashboard should not call out to a third party, and system fonts stand in.
 */
const QUEUE_DASHBOARD_POLICY: Directives = {
  ...API_POLICY,
  baseUri: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: [
    "'self'",
    "'sha256-dv714QSXJBurriRZTklJT4phtgwCe+o7Frxoi2awcdg='",
    // the `<style>` inside the Redis logo the app renders
    "'sha256-r2N1TB/gHbBtBZFKg7ejmq1acVSREzucTAEw6ga4hoU='",
  ],
  styleSrcAttr: [
    "'unsafe-hashes'",
    "'sha256-of39ksKG33VNCYo5/quRg1dhdo2AWSv8WJi2LNKOSTU='",
    "'sha256-dg51HqBfD6n0yW6arUPC/pQLVghRZbOuP0gPg9FhCTw='",
    "'sha256-XtkH5bXSf2qTXVOXBZrUBgydsBjBOqKXas4aSqlrDYQ='",
    "'sha256-4qiUsLv1mhPpLyv14EyMNeEfESFsI8tYHvGHgST5oO4='",
    "'sha256-z865ZzzyqKnk/u5EJq1ujBhzC4S9g1xzvJyr7y3Ut8s='",
  ],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
};

/**
 * The web console (/console): its own built scripts and stylesheets only, no inline script or style
 * block and no eval (its JSON-Schema forms validate by interpretation); it calls this API alone.
 */
const CONSOLE_POLICY: Directives = {
  ...API_POLICY,
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
};

/** The hosted connect page (/connect): the console's policy, framed only by the origins a connect session may return to. */
const connectPagePolicy = (config: AppConfig): Directives => ({
  ...CONSOLE_POLICY,
  frameAncestors: ["'self'", ...config.allowedReturnOrigins],
});

/** Helmet's headers with a Content-Security-Policy per kind of page: the HTML pages and the API. */
export function securityHeaders(config: AppConfig): RequestHandler {
  const api = helmet({ contentSecurityPolicy: { useDefaults: false, directives: API_POLICY } });
  const docs = helmet.contentSecurityPolicy({ useDefaults: false, directives: DOCS_POLICY });
  const dashboard = helmet.contentSecurityPolicy({ useDefaults: false, directives: QUEUE_DASHBOARD_POLICY });
  const reference = helmet.contentSecurityPolicy({ useDefaults: false, directives: REFERENCE_POLICY });
  const consolePage = helmet.contentSecurityPolicy({ useDefaults: false, directives: CONSOLE_POLICY });
  const connectPage = helmet.contentSecurityPolicy({ useDefaults: false, directives: connectPagePolicy(config) });
  return (request: Request, response: Response, next: NextFunction) =>
    api(request, response, () => {
      if (/^\/docs(\/|$)/.test(request.path)) return docs(request, response, next);
      if (request.path === API_REFERENCE_PATH || request.path.startsWith(`${API_REFERENCE_PATH}/`)) return reference(request, response, next);
      if (request.path === QUEUE_DASHBOARD_PATH || request.path.startsWith(`${QUEUE_DASHBOARD_PATH}/`)) return dashboard(request, response, next);
      if (/^\/console(\/|$)/.test(request.path)) return consolePage(request, response, next);
      if (/^\/connect(\/|$)/.test(request.path)) {
        // X-Frame-Options cannot name origins: the page's frame-ancestors decides, and browsers honour it over this header.
        response.removeHeader('X-Frame-Options');
        // Opened as a host's popup, the page posts its outcome to its opener: an opener policy would sever that link.
        response.removeHeader('Cross-Origin-Opener-Policy');
        return connectPage(request, response, next);
      }
      next();
    });
}

/**
 * CORS for the browser origins in CORS_ORIGINS, none by default. Requests from other origins get no
 * CORS headers (their preflights find no route), so browsers keep them from reading anything. Tokens
 * travel in `Authorization`; the console's session cookie is SameSite=Strict and same-origin only, so
 * credentials mode stays off.
 */
export function applyCorsPolicy(app: INestApplication, config: AppConfig): void {
  if (config.corsOrigins.length === 0) return;
  const allowed = new Set(config.corsOrigins);
  app.enableCors({
    origin: (origin: string | undefined, callback: (error: Error | null, allow: boolean) => void) =>
      callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Plugboard-Mode', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'Idempotent-Replayed', 'Location'],
    maxAge: 600,
  });
}
