import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { type AccountCaller, type Caller, CurrentCaller } from '../../../core/auth/caller.js';
import { UuidParam } from '../../../core/http/uuid-param.pipe.js';
import { Authorize, InstanceAdmin, problem } from '../../rbac/index.js';
import { OnboardingDto, RequirementLevelsDto, SetRequirementLevelDto, SkipOnboardingDto } from '../dto/onboarding.dto.js';
import { OnboardingService } from './onboarding.service.js';

const PROVIDER = ApiParam({ name: 'provider', description: 'A provider id of the onboarding template', example: 'stripe_connect' });

/** 409 `required_integration`, with the providers that stand in the way. */
const REQUIRED = (description: string) =>
  ApiResponse({
    status: 409,
    description: `required_integration: ${description}; \`providers\` lists them`,
    content: {
      'application/problem+json': {
        schema: {
          allOf: [{ $ref: '#/components/schemas/Problem' }, { type: 'object', properties: { providers: { type: 'array', items: { type: 'string' } } } }],
        },
        examples: {
          required_integration: {
            summary: 'required_integration',
            value: {
              type: 'https://plugboard.dev/problems/required_integration',
              title: 'Conflict',
              status: 409,
              detail: 'Required integrations cannot be skipped: Shopify',
              code: 'required_integration',
              providers: ['shopify'],
            },
          },
        },
      },
    },
  });

@ApiTags('Onboarding')
@Controller('v1')
export class OnboardingController {
  constructor(private readonly onboarding: OnboardingService) {}

  @Get('onboarding')
  @Authorize('integrations.view')
  @ApiOperation({
    summary: 'Onboarding steps, their providers and whether the account may launch',
    description:
      'The template’s steps in order, each provider with its requirement level (the account’s own or the template’s), its state (`connected`, `needs_attention` when its connection is expired or in error, `skipped`, `pending`) and whether a loaded plugin provides it. Only required providers block launch (`canLaunch`, `blocking`). In the caller’s mode.',
  })
  @ApiOkResponse({ type: OnboardingDto })
  state(@CurrentCaller() caller: AccountCaller) {
    return this.onboarding.state(caller);
  }

  @Post('onboarding/skip')
  @HttpCode(200)
  @Authorize('integrations.manage')
  @ApiOperation({
    summary: 'Set providers up later',
    description:
      'Records who skipped `providers` (or every provider of `step`) and when; undo with DELETE /v1/onboarding/skip/{provider}. Skipping again keeps the first record. A required provider cannot be skipped: 409 `required_integration` and nothing is recorded.',
  })
  @ApiOkResponse({ type: OnboardingDto, description: 'The onboarding state after the skip' })
  @REQUIRED('a required provider cannot be skipped')
  skip(@CurrentCaller() caller: AccountCaller, @Body() dto: SkipOnboardingDto) {
    return this.onboarding.skip(caller, dto);
  }

  @Delete('onboarding/skip/:provider')
  @Authorize('integrations.manage')
  @PROVIDER
  @ApiOperation({
    summary: 'Undo a skip',
    description: 'The provider is pending again (or whatever its connection says). Undoing a skip that is not there changes nothing.',
  })
  @ApiOkResponse({ type: OnboardingDto, description: 'The onboarding state after the change' })
  @problem(404, 'The provider is in no onboarding step')
  undoSkip(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string) {
    return this.onboarding.undoSkip(caller, provider);
  }

  @Post('onboarding/complete')
  @HttpCode(200)
  @Authorize('integrations.manage')
  @ApiOperation({
    summary: 'Finish onboarding (launch)',
    description:
      'Records that onboarding is complete in the caller’s mode, publishes `onboarding.completed` and audits it. Answers 409 `required_integration` while a required provider is not connected. Completing again changes nothing.',
  })
  @ApiOkResponse({ type: OnboardingDto })
  @REQUIRED('a required provider is not connected')
  complete(@CurrentCaller() caller: AccountCaller) {
    return this.onboarding.complete(caller);
  }

  @Put('onboarding/levels/:provider')
  @Authorize('integrations.manage')
  @PROVIDER
  @ApiOperation({
    summary: 'Override a provider’s requirement level for the account',
    description:
      'For the account’s owners: `required`, `recommended` or `optional` for this account (both modes); `null` returns to the template’s level. Audited.',
  })
  @ApiOkResponse({ type: OnboardingDto })
  @problem(403, 'Only the account’s owners change requirement levels')
  @problem(404, 'The provider is in no onboarding step')
  setLevel(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Body() dto: SetRequirementLevelDto) {
    return this.onboarding.setLevel(caller, provider, dto);
  }

  @Get('accounts/:accountId/onboarding/levels')
  @InstanceAdmin()
  @ApiOperation({
    summary: 'An account’s requirement levels',
    description: 'Every provider of the template with the account’s level, the template’s, and which applies.',
  })
  @ApiOkResponse({ type: RequirementLevelsDto })
  @problem(404, 'No such account')
  levels(@Param('accountId', UuidParam) accountId: string) {
    return this.onboarding.levelsOf(accountId);
  }

  @Put('accounts/:accountId/onboarding/levels/:provider')
  @InstanceAdmin()
  @PROVIDER
  @ApiOperation({
    summary: 'Override a provider’s requirement level for any account',
    description: 'As the account’s owner can; `null` returns to the template’s level. Audited.',
  })
  @ApiOkResponse({ type: RequirementLevelsDto })
  @problem(404, 'No such account, or the provider is in no onboarding step')
  setLevelForAccount(
    @CurrentCaller() caller: Caller,
    @Param('accountId', UuidParam) accountId: string,
    @Param('provider') provider: string,
    @Body() dto: SetRequirementLevelDto,
  ) {
    return this.onboarding.setLevelForAccount(caller, accountId, provider, dto);
  }
}
