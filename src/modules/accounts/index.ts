/** The accounts module's public surface: accounts, members and custom roles. */
export { AccountsModule } from './accounts.module.js';
export { AccountsService } from './accounts.service.js';
