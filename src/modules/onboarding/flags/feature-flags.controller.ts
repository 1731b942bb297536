import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { type AccountCaller, CurrentCaller } from '../../../core/auth/caller.js';
import { PageQuery } from '../../../core/http/pagination.js';
import { Authorize, problem } from '../../rbac/index.js';
import { EvaluateFlagsQuery, FeatureFlagDto, FeatureFlagPage, FlagValuesDto, SetFeatureFlagDto } from '../dto/feature-flag.dto.js';
import { FeatureFlagsService } from './feature-flags.service.js';

const KEY = ApiParam({ name: 'key', description: 'The flag’s key', example: 'integrations.klaviyo' });

@ApiTags('Feature flags')
@Controller('v1/feature-flags')
export class FeatureFlagsController {
  constructor(private readonly flags: FeatureFlagsService) {}

  @Get()
  @Authorize('integrations.view')
  @ApiOperation({
    summary: 'Integration feature flags with their values for the account',
    description:
      'Every flag of the template with its effective value in the caller’s mode and why (`source`: the default, the account’s override, or `not_connected`: forced off because the connection it requires is not connected).',
  })
  @ApiOkResponse({ type: FeatureFlagPage })
  list(@CurrentCaller() caller: AccountCaller, @Query() query: PageQuery) {
    return this.flags.list(caller, query);
  }

  @Get('evaluate')
  @Authorize('integrations.view', 'account.view')
  @ApiOperation({
    summary: 'Evaluate flags in one call',
    description:
      'The values of the flags named in `keys` (every flag without it) for the caller’s account and mode: what the host platform asks on its hot path, and what the OpenFeature provider reads. Keys that are not flags are listed in `unknown`.',
  })
  @ApiOkResponse({ type: FlagValuesDto })
  evaluate(@CurrentCaller() caller: AccountCaller, @Query() query: EvaluateFlagsQuery) {
    return this.flags.evaluate(caller, query.keys);
  }

  @Get(':key')
  @Authorize('integrations.view')
  @KEY
  @ApiOperation({ summary: 'One feature flag', description: 'Its effective value for the account in the caller’s mode, and why.' })
  @ApiOkResponse({ type: FeatureFlagDto })
  @problem(404, 'No such flag')
  get(@CurrentCaller() caller: AccountCaller, @Param('key') key: string) {
    return this.flags.get(caller, key);
  }

  @Patch(':key')
  @Authorize('integrations.manage')
  @KEY
  @ApiOperation({
    summary: 'Override a flag for the account',
    description:
      'Sets the account’s value in the caller’s mode (`null` removes it: the default holds again). An `integrations.<provider>` flag that is off pauses that provider’s reactions and scheduled syncs for the account; its connection stays. Audited.',
  })
  @ApiOkResponse({ type: FeatureFlagDto })
  @problem(404, 'No such flag')
  set(@CurrentCaller() caller: AccountCaller, @Param('key') key: string, @Body() dto: SetFeatureFlagDto) {
    return this.flags.set(caller, key, dto);
  }
}
