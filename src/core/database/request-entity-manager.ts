import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager } from '@mikro-orm/core';
import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { Injectable, NestMiddleware } from '@nestjs/common';

interface RequestEntityManagers {
  root: EntityManager;
  forked?: EntityManager;
}

const requests = new AsyncLocalStorage<RequestEntityManagers>();

/**
 * MikroORM's `context` option: the EntityManager that an injected `em` stands for where it is used. A
 * RequestContext made inside (a job, a CLI command) comes first; then the HTTP request's own, forked
 * the first time the request uses it.
 */
export function currentEntityManager(name: string): EntityManager | undefined {
  const made = RequestContext.getEntityManager(name);
  if (made) return made;
  const request = requests.getStore();
  if (!request || request.root.name !== name) return undefined;
  // Forked outside the request, as MikroORM forks its own request contexts: the new EntityManager
  // resolves its context while it is built.
  request.forked ??= requests.exit(() => request.root.fork({ useContext: true }));
  return request.forked;
}

/**
 * Gives each request its own EntityManager (identity map and unit of work), as MikroORM's own request
 * context does, but forks it only when the request first uses it. Most reads go through EntityRows
 * and never do, and a fork is several objects plus two writes to process.env (its configuration is
 * set and restored around it): about a twentieth of a short read's CPU.
 */
@Injectable()
export class RequestEntityManager implements NestMiddleware {
  constructor(private readonly orm: MikroORM) {}

  use(_request: unknown, _response: unknown, next: () => void): void {
    requests.run({ root: this.orm.em }, next);
  }
}
