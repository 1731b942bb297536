import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/index.js';
import { AclRegistry } from '../rbac/index.js';
import { ApiKeyLastUsed } from './api-key-last-used.js';
import { ApiKeyVerifier } from './api-key-verifier.js';
import { ApiKeyRepository } from './api-key.repository.js';
import { ApiKeyStrategy } from './api-key.strategy.js';
import { apiKeysAcl } from './api-keys.acl.js';
import { ApiKeysController } from './api-keys.controller.js';
import { ApiKeysService } from './api-keys.service.js';
import { ApiKey } from './entities/api-key.entity.js';

/** API keys: live and test keys shown once, hashed, scoped, rolled and revoked; verified on every request with a cache. */
@Module({
  imports: [MikroOrmModule.forFeature([ApiKey]), AccountsModule],
  controllers: [ApiKeysController],
  providers: [ApiKeyRepository, ApiKeysService, ApiKeyVerifier, ApiKeyLastUsed, ApiKeyStrategy],
  exports: [ApiKeysService],
})
export class ApiKeysModule {
  constructor(acls: AclRegistry) {
    acls.register(apiKeysAcl);
  }
}
