/** The api-keys module's public surface: its Nest module (nothing else is used by other modules). */
export { ApiKeysModule } from './api-keys.module.js';
