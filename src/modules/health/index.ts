/** The health module's public surface: its Nest module (nothing else is used by other modules). */
export { HealthModule } from './health.module.js';
