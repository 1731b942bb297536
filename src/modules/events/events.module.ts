import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { Event } from './entities/event.entity.js';
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
  providers: [EventTypeCatalog, EventsService],
  exports: [EventTypeCatalog, EventsService],
})
export class EventsModule {}
