/** The accounts module's public surface: accounts, members and custom roles. */
export { AccountsModule } from './accounts.module.js';
export { AccountsService } from './accounts.service.js';
export { MembersService } from './members.service.js';
export type { AddMemberDto, MemberDto } from './dto/account.dto.js';
