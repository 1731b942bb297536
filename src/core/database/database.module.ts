import { Global, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { DatabaseChanges } from './database-changes.js';
import { EntityRows } from './entity-rows.js';
import { RequestEntityManager } from './request-entity-manager.js';

/** What every module reads the database with besides its own repositories and the EntityManager. */
@Global()
@Module({ providers: [EntityRows, DatabaseChanges], exports: [EntityRows, DatabaseChanges] })
export class DatabaseModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestEntityManager).forRoutes({ path: '{*all}', method: RequestMethod.ALL });
  }
}
