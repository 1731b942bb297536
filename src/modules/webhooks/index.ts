/** The webhooks module's public surface: its Nest module (nothing else is used by other modules). */
export { WebhooksModule } from './webhooks.module.js';
