import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type AccountCaller, CurrentCaller } from '../../core/auth/caller.js';
import { UuidParam } from '../../core/http/uuid-param.pipe.js';
import { Authorize, problem } from '../rbac/index.js';
import { ApiKeysService } from './api-keys.service.js';
import { ApiKeyDto, ApiKeyListQuery, ApiKeyPage, CreateApiKeyDto, CreatedApiKeyDto, RollApiKeyDto } from './dto/api-key.dto.js';

@ApiTags('API keys')
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get()
  @Authorize('api_keys.view')
  @ApiOkResponse({ type: ApiKeyPage, description: 'Active, expired and revoked keys, newest first; never the keys themselves' })
  list(@CurrentCaller() caller: AccountCaller, @Query() query: ApiKeyListQuery) {
    return this.keys.list(caller, query);
  }

  @Post()
  @Authorize('api_keys.manage')
  @ApiCreatedResponse({ type: CreatedApiKeyDto, description: 'The new key, with `key` shown this one time' })
  @problem(402, 'The plan does not include keys of this mode, or the account has as many as it allows')
  create(@CurrentCaller() caller: AccountCaller, @Body() dto: CreateApiKeyDto) {
    return this.keys.create(caller, dto);
  }

  @Get(':id')
  @Authorize('api_keys.view')
  @ApiOkResponse({ type: ApiKeyDto })
  get(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string) {
    return this.keys.get(caller, id);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @Authorize('api_keys.manage')
  @ApiOkResponse({ type: ApiKeyDto, description: 'Revoked now, on every replica within a second; revoking again changes nothing' })
  revoke(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string) {
    return this.keys.revoke(caller, id);
  }

  @Post(':id/roll')
  @Authorize('api_keys.manage')
  @ApiCreatedResponse({ type: CreatedApiKeyDto, description: 'The replacement key (same name, mode, permissions and expiry), shown this one time' })
  @problem(402, 'The plan does not include keys of this mode')
  @problem(409, 'The key is revoked, expired or already rolled')
  roll(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Body() dto: RollApiKeyDto) {
    return this.keys.roll(caller, id, dto);
  }
}
