import type { NextFunction, Request, Response } from 'express';
import type { MetricsService } from './metrics.service.js';

/** Label for requests no route matched: keeps arbitrary paths (scanners, typos) out of the label set. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Times every request and labels it with the route template that handled it (`/v1/accounts/:id`), never
 * the raw path, so the number of series stays bounded.
 */
export function httpMetrics(metrics: MetricsService) {
  return (request: Request, response: Response, next: NextFunction) => {
    const startedAt = process.hrtime.bigint();
    response.once('finish', () => {
      const route = routeTemplate(request);
      metrics.httpRequest(request.method, route, response.statusCode, Number(process.hrtime.bigint() - startedAt) / 1e9);
    });
    next();
  };
}

/**
 * The template of the route that handled the request. Catch-all routes (Nest's middleware and 404
 * handler match `/{*all}`) are the last route an unmatched request passed through: they count as unmatched.
 */
function routeTemplate(request: Request): string {
  const path = (request.route as { path?: string | RegExp | (string | RegExp)[] } | undefined)?.path;
  if (path === undefined) return UNMATCHED_ROUTE;
  const template = `${request.baseUrl}${Array.isArray(path) ? path.join('|') : path.toString()}`;
  return template.includes('*') ? UNMATCHED_ROUTE : template;
}
