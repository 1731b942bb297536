import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { ConsoleSessionRepository } from './console-session.repository.js';
import { ConsoleSessionStrategy } from './console-session.strategy.js';
import { ConsoleSessionsController } from './console-sessions.controller.js';
import { ConsoleSessionsService } from './console-sessions.service.js';
import { ConsoleSession } from './entities/console-session.entity.js';

/** The web console's sign-in (one-time links, session cookies with CSRF tokens) and its pages at /console. */
@Module({
  imports: [MikroOrmModule.forFeature([ConsoleSession])],
  controllers: [ConsoleSessionsController],
  providers: [ConsoleSessionRepository, ConsoleSessionsService, ConsoleSessionStrategy],
  exports: [ConsoleSessionsService],
})
export class ConsoleModule {}
