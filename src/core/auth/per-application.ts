import type { HttpAdapterHost } from '@nestjs/core';
import type { Request } from 'express';

/**
 * Passport keeps one strategy per name for the whole process, the last one registered. When several
 * applications share a process (the tests run two replicas side by side), a strategy must still reach
 * the service of the application serving each request, with its own caches: found by its Express app.
 */
export class PerApplication<T> {
  private readonly byApp = new WeakMap<object, T>();

  register(adapterHost: HttpAdapterHost, service: T): void {
    const app = adapterHost.httpAdapter?.getInstance<object>();
    if (app) this.byApp.set(app, service);
  }

  of(request: Request, fallback: T): T {
    return this.byApp.get(request.app) ?? fallback;
  }
}
