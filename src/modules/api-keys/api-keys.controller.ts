import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
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
  @ApiOperation({
    operationId: 'listApiKeys',
    summary: 'List API keys',
    description:
      'Active, expired and revoked keys, newest first, with their start and last four characters; never the keys themselves. A key lists only keys of its own mode.',
  })
  list(@CurrentCaller() caller: AccountCaller, @Query() query: ApiKeyListQuery) {
    return this.keys.list(caller, query);
  }

  @Post()
  @Authorize('api_keys.manage')
  @ApiCreatedResponse({ type: CreatedApiKeyDto, description: 'The new key, with `key` shown this one time' })
  @problem(402, 'The plan does not include keys of this mode, or the account has as many as it allows')
  @ApiOperation({
    operationId: 'createApiKey',
    summary: 'Create an API key',
    description: 'Creates a live or test key with some or all of the caller’s permissions (never more). The key is in this answer and nowhere else.',
  })
  create(@CurrentCaller() caller: AccountCaller, @Body() dto: CreateApiKeyDto) {
    return this.keys.create(caller, dto);
  }

  @Get(':id')
  @Authorize('api_keys.view')
  @ApiOkResponse({ type: ApiKeyDto })
  @ApiOperation({ operationId: 'getApiKey', summary: 'Get an API key', description: 'One key by id, without the key itself.' })
  get(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string) {
    return this.keys.get(caller, id);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @Authorize('api_keys.manage')
  @ApiOkResponse({ type: ApiKeyDto, description: 'Revoked now, on every replica within a second; revoking again changes nothing' })
  @ApiOperation({
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key',
    description: 'Revokes a key at once, on every replica within a second. Revoking a revoked key changes nothing; a key may always revoke itself.',
  })
  revoke(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string) {
    return this.keys.revoke(caller, id);
  }

  @Post(':id/roll')
  @Authorize('api_keys.manage')
  @ApiCreatedResponse({ type: CreatedApiKeyDto, description: 'The replacement key (same name, mode, permissions and expiry), shown this one time' })
  @problem(402, 'The plan does not include keys of this mode')
  @problem(409, 'The key is revoked, expired or already rolled')
  @ApiOperation({
    operationId: 'rollApiKey',
    summary: 'Roll an API key',
    description:
      'Issues a replacement with the same name, mode, permissions and expiry; the old key keeps working for `expireOldInSeconds` (0 by default, at most API_KEY_MAX_OVERLAP).',
  })
  roll(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Body() dto: RollApiKeyDto) {
    return this.keys.roll(caller, id, dto);
  }
}
