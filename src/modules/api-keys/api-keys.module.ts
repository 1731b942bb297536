import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { ApiKeyLastUsed } from './api-key-last-used.js';
import { ApiKeyStrategy } from './api-key.strategy.js';
import { ApiKeyVerifier } from './api-key-verifier.js';
import { ApiKeysController } from './api-keys.controller.js';
import { ApiKeysService } from './api-keys.service.js';
import { ApiKey } from './entities/api-key.entity.js';
import { AclRegistry } from '../rbac/acl-registry.js';
import { apiKeysAcl } from './api-keys.acl.js';

@Module({
  imports: [MikroOrmModule.forFeature([ApiKey])],
  controllers: [ApiKeysController],
  providers: [ApiKeysService, ApiKeyVerifier, ApiKeyLastUsed, ApiKeyStrategy],
})
export class ApiKeysModule {
  constructor(acls: AclRegistry) {
    acls.register(apiKeysAcl);
  }
}
