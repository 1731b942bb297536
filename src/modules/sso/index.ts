/** The sso module's public surface: its Nest module (the broker's routes are its whole interface). */
export { SsoModule } from './sso.module.js';
