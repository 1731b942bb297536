import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

class MeAccountDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
}

export class MeDto {
  @ApiPropertyOptional({ description: 'Set when the caller is a member' }) userId?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'Set when the caller is an API key' }) apiKeyId?: string;
  @ApiProperty({ type: MeAccountDto }) account!: MeAccountDto;
  @ApiProperty({ description: 'The caller also administers this installation (instance routes: accounts, plugins); false for API keys' })
  instanceAdmin!: boolean;
  @ApiProperty() livemode!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'null for API keys' }) role!: string | null;
  @ApiProperty({ type: [String] }) permissions!: string[];
  @ApiProperty({ type: 'array', items: {}, description: 'Packed CASL rules (@casl/ability/extra unpackRules) for front-ends' })
  rules!: unknown[];
  @ApiProperty({ example: 'basic' }) plan!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer', nullable: true },
    description: 'Per feature: null is unlimited, 0 not included',
  })
  limits!: Record<string, number | null>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'Current use of each counted feature in this mode' })
  usage!: Record<string, number>;
}
