/** The events module's public surface: the event catalog and durable publishing (with registered fan-outs). */
export { EventsModule } from './events.module.js';
export { type EventFanOut, EventsService, type PublishInput, type StoredEvent } from './events.service.js';
export { type CatalogEntry, EventTypeCatalog } from './event-type-catalog.js';
