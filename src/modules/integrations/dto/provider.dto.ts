import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { PageDto, PageQuery } from '../../../core/http/pagination.js';
import { Omittable } from '../../../core/http/validation.js';

export class ListProvidersQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'payment' })
  @Omittable()
  @IsString()
  @MaxLength(40)
  category?: string;
}

class ProviderActionSummaryDto {
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) inputSchema!: Record<string, unknown>;
}

class ProviderActionDto extends ProviderActionSummaryDto {
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'JSON Schema of what the action returns, when the plugin declares it' })
  outputSchema?: Record<string, unknown>;
}

class ProviderPlanDto {
  @ApiProperty({ description: "Whether the account's plan lets it connect this provider now" }) allowed!: boolean;
  @ApiPropertyOptional({ example: 'The Basic plan does not include crm integrations' }) reason?: string;
}

class ProviderPluginDto {
  @ApiProperty() name!: string;
  @ApiProperty() version!: string;
}

/** A provider as the catalogue lists it: its actions without their output schemas, which its own answer has. */
export class ProviderSummaryDto {
  @ApiProperty({ example: 'stripe' }) id!: string;
  @ApiProperty({ example: 'Stripe' }) name!: string;
  @ApiProperty({ example: 'payment' }) category!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ enum: ['oauth2', 'api_key', 'basic', 'none'] }) authType!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'JSON Schema of the credentials (api_key and basic)' })
  credentialsSchema!: Record<string, unknown> | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'JSON Schema of the settings' })
  settingsSchema!: Record<string, unknown> | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'JSON Schema of the values entered before connecting (`inputs`), e.g. a shop domain',
  })
  connectionInputs!: Record<string, unknown> | null;
  @ApiProperty({ type: [ProviderActionSummaryDto] }) actions!: ProviderActionSummaryDto[];
  @ApiProperty() sync!: boolean;
  @ApiProperty({ description: 'Whether it receives provider webhooks at POST /v1/hooks/{integrationId}' }) webhooks!: boolean;
  @ApiProperty({ type: ProviderPlanDto }) plan!: ProviderPlanDto;
  @ApiProperty({ type: ProviderPluginDto }) plugin!: ProviderPluginDto;
}

export class ProviderDto extends ProviderSummaryDto {
  @ApiProperty({ type: [ProviderActionDto] }) declare actions: ProviderActionDto[];
}

export class ProviderPage extends PageDto {
  @ApiProperty({ type: [ProviderSummaryDto] }) data!: ProviderSummaryDto[];
}
