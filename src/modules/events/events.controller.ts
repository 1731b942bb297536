import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AccountCaller, CurrentCaller } from '../../core/auth/caller.js';
import { PageQuery } from '../../core/http/pagination.js';
import { Authorize } from '../rbac/index.js';
import { EventPage, EventTypePage, ListEventsQuery, PublishedEventDto, PublishEventDto } from './dto/event.dto.js';
import { EventsService } from './events.service.js';

@ApiTags('Events')
@Controller('v1/event-types')
export class EventTypesController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @Authorize('events.view')
  @ApiOkResponse({ type: EventTypePage })
  @ApiOperation({
    operationId: 'listEventTypes',
    summary: 'List event types',
    description: 'The event catalog: built-in and operator types, each with its JSON Schema, description and example.',
  })
  list(@Query() query: PageQuery) {
    return this.events.listTypes(query);
  }
}

@ApiTags('Events')
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  /** Answers 202 once the event and its webhook deliveries are committed; delivery happens after. */
  @Post()
  @HttpCode(202)
  @Authorize('events.publish')
  @ApiAcceptedResponse({ type: PublishedEventDto, description: 'Stored durably; webhooks are delivered asynchronously' })
  @ApiOperation({
    operationId: 'publishEvent',
    summary: 'Publish an event',
    description:
      'Validates `data` against the type’s schema and answers 202 once the event and its webhook deliveries are committed; delivery happens after. With an Idempotency-Key a retried publish returns the same id.',
  })
  publish(@CurrentCaller() caller: AccountCaller, @Body() dto: PublishEventDto) {
    return this.events.ingest(caller, dto);
  }

  @Get()
  @Authorize('events.view')
  @ApiOkResponse({ type: EventPage })
  @ApiOperation({ operationId: 'listEvents', summary: 'List events', description: 'Events of the caller’s mode, newest first, filtered by type and time.' })
  list(@CurrentCaller() caller: AccountCaller, @Query() query: ListEventsQuery) {
    return this.events.list(caller, query);
  }
}
