/** The api-keys module's public surface: its Nest module, and whether a key is still usable. */
export { ApiKeysModule } from './api-keys.module.js';
export { ApiKeysService } from './api-keys.service.js';
