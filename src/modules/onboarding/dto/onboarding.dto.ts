import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { Omittable } from '../../../core/http/validation.js';
import { REQUIREMENT_LEVELS, type RequirementLevel } from '../template/onboarding-template.js';

export const PROVIDER_STATES = ['connected', 'needs_attention', 'skipped', 'pending'] as const;
export type ProviderState = (typeof PROVIDER_STATES)[number];

const PROVIDER_ID = /^[a-z0-9_]{1,100}$/;

export class ActorDto {
  @ApiProperty({ enum: ['member', 'api_key'] }) type!: 'member' | 'api_key';
  @ApiProperty({ description: 'The member’s user id or the API key’s id' }) id!: string;
}

export class SkipRecordDto {
  @ApiProperty({ format: 'date-time' }) at!: Date;
  @ApiProperty({ type: ActorDto }) by!: ActorDto;
}

export class OnboardingProviderDto {
  @ApiProperty({ example: 'shopify' }) provider!: string;
  @ApiProperty({ example: 'Shopify', description: 'The plugin’s name, else the template’s' }) name!: string;
  @ApiProperty({ enum: REQUIREMENT_LEVELS, description: 'Only `required` providers block launch' }) level!: RequirementLevel;
  @ApiProperty({ enum: ['template', 'account'], description: '`account`: the account’s own level overrides the template’s' }) levelSource!:
    'template' | 'account';
  @ApiProperty({
    enum: PROVIDER_STATES,
    description:
      '`connected`: an account connection of the provider is connected; `needs_attention`: it is expired or in error; `skipped`: set up later (a required provider is never skipped); `pending`: not yet',
  })
  state!: ProviderState;
  @ApiProperty({ description: 'Whether a loaded plugin provides it; an unavailable provider cannot be connected until one is installed' })
  available!: boolean;
  @ApiProperty({ type: SkipRecordDto, nullable: true, description: 'Who skipped it and when; null when it is not skipped' })
  skipped!: SkipRecordDto | null;
}

export class OnboardingStepDto {
  @ApiProperty({ example: 'shopify' }) key!: string;
  @ApiProperty({ example: 'Connect Shopify' }) title!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ enum: REQUIREMENT_LEVELS, description: 'The strictest level among its providers' }) level!: RequirementLevel;
  @ApiProperty({ description: 'Every provider is connected or skipped' }) done!: boolean;
  @ApiProperty({ type: [OnboardingProviderDto] }) providers!: OnboardingProviderDto[];
}

export class OnboardingDto {
  @ApiProperty({ type: [OnboardingStepDto], description: 'In the template’s order' }) steps!: OnboardingStepDto[];
  @ApiProperty({ description: 'True when every required provider is connected: nothing else blocks' }) canLaunch!: boolean;
  @ApiProperty({ type: [String], description: 'The required providers that are not connected' }) blocking!: string[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When onboarding was completed (POST /v1/onboarding/complete)' })
  completedAt!: Date | null;
  @ApiProperty() livemode!: boolean;
}

export class SkipOnboardingDto {
  @ApiPropertyOptional({ type: [String], example: ['stripe_connect'], description: 'Providers to set up later (give these or `step`)' })
  @Omittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @Matches(PROVIDER_ID, { each: true, message: 'each provider must be a provider id' })
  providers?: string[];

  @ApiPropertyOptional({ example: 'integrations', description: 'A step whose providers are all set up later (give this or `providers`)' })
  @Omittable()
  @IsString()
  @MaxLength(64)
  step?: string;
}

export class SetRequirementLevelDto {
  @ApiProperty({ enum: REQUIREMENT_LEVELS, nullable: true, description: 'The account’s level for the provider; null returns to the template’s' })
  @ValidateIf((dto: SetRequirementLevelDto) => dto.level !== null)
  @IsIn(REQUIREMENT_LEVELS)
  level!: RequirementLevel | null;
}

export class RequirementLevelDto {
  @ApiProperty({ example: 'stripe_connect' }) provider!: string;
  @ApiProperty({ enum: REQUIREMENT_LEVELS }) level!: RequirementLevel;
  @ApiProperty({ enum: REQUIREMENT_LEVELS }) templateLevel!: RequirementLevel;
  @ApiProperty({ enum: ['template', 'account'] }) source!: 'template' | 'account';
}

export class RequirementLevelsDto {
  @ApiProperty({ format: 'uuid' }) accountId!: string;
  @ApiProperty({ type: [RequirementLevelDto], description: 'Every provider of the template, in step order' }) levels!: RequirementLevelDto[];
}
