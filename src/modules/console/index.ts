/** The console module's public surface: sign-in links for the CLI, and mounting the app's pages. */
export { ConsoleModule } from './console.module.js';
export { CONSOLE_SSO_RETURN_PATH, ConsoleSessionsService } from './console-sessions.service.js';
export { CONNECT_PAGE_PATH, CONSOLE_PATH, mountConsole } from './console-assets.js';
