import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { Event } from './entities/event.entity.js';
import { EventRepository } from './event.repository.js';
import { EventTypeCatalog } from './event-type-catalog.js';
import { EventsController, EventTypesController } from './events.controller.js';
import { EventsService } from './events.service.js';

/**
 * The event catalog and durable publishing. Other modules publish through EventsService.publish(em, …)
 * inside their own unit of work, or publishNow(…) in a transaction of its own.
 */
@Module({
  imports: [MikroOrmModule.forFeature([Event])],
  controllers: [EventTypesController, EventsController],
  providers: [EventTypeCatalog, EventRepository, EventsService],
  exports: [EventTypeCatalog, EventsService],
})
export class EventsModule {}
