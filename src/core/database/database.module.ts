import { Global, Module } from '@nestjs/common';
import { EntityRows } from './entity-rows.js';

/** What every module reads the database with besides its own repositories and the EntityManager. */
@Global()
@Module({ providers: [EntityRows], exports: [EntityRows] })
export class DatabaseModule {}
