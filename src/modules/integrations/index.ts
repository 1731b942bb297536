/** The integrations module's public surface: its Nest module (nothing else is used by other modules). */
export { IntegrationsModule } from './integrations.module.js';
