import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { PageDto } from '../../../core/http/pagination.js';
import type { PluginRecord } from '../plugin-registry.js';
import type { PluginHostStatus } from '../runner/plugin-runner.js';

export class PluginDto {
  @ApiProperty({ example: '@acme/plugboard-crm' }) name!: string;
  @ApiProperty({ example: '1.2.0' }) version!: string;
  @ApiProperty({ enum: ['loaded', 'failed', 'disabled'] }) state!: 'loaded' | 'failed' | 'disabled';
  @ApiPropertyOptional({ description: 'Why the plugin is not loaded', example: 'incompatible apiVersion: …' }) error?: string;
  @ApiProperty({ type: [String], description: 'Provider ids (declared ones when the plugin is not loaded)' }) providers!: string[];
  @ApiProperty({ enum: ['verified', 'unsigned', 'invalid'] }) signature!: 'verified' | 'unsigned' | 'invalid';
  @ApiPropertyOptional({ description: 'The signing publisher, when signed' }) publisher?: string;
  @ApiProperty({
    enum: ['bundled', 'directory', 'installed'],
    description: "bundled: the repository's plugins/; directory: found in a PLUGINS_DIR; installed: through POST /v1/plugins or the CLI",
  })
  source!: 'bundled' | 'directory' | 'installed';
  @ApiPropertyOptional({
    description:
      "The process a loaded plugin runs in: `bundled` (the repository's plugins share it), `publisher:<name>` (a verified publisher's plugins), `plugin:<name>` (an unsigned plugin alone), `api` (PLUGIN_ISOLATION=none); `#<n>` when a publisher has several",
    example: 'bundled',
  })
  host?: string;
  @ApiPropertyOptional({ description: 'Whether that process is running now (hosts start on their first call and stop when idle)' }) running?: boolean;

  static from(record: PluginRecord, status?: PluginHostStatus): PluginDto {
    return {
      name: record.name,
      version: record.version,
      state: record.state,
      ...(record.error ? { error: record.error } : {}),
      providers: record.providers,
      signature: record.signature,
      ...(record.publisher ? { publisher: record.publisher } : {}),
      source: record.source,
      ...(status ? { host: status.host, running: status.running } : {}),
    };
  }
}

export class PluginPage extends PageDto {
  @ApiProperty({ type: [PluginDto] }) data!: PluginDto[];
}

export class InstallPluginDto {
  @ApiProperty({
    description:
      'A marketplace entry (`name@version`, or `name` for its newest compatible version), a tarball URL (https: or file:) or an absolute tarball path',
    example: '@acme/plugboard-crm@1.2.0',
  })
  @IsString()
  @Length(1, 2000)
  source!: string;
}

export class MarketplaceEntryDto {
  @ApiProperty({ example: '@acme/plugboard-crm' }) name!: string;
  @ApiProperty({ example: '1.2.0' }) version!: string;
  @ApiPropertyOptional() description?: string;
  @ApiPropertyOptional({ description: 'Who signed it; their key must be in TRUSTED_PUBLISHERS_DIR for a required signature policy' }) publisher?: string;
  @ApiProperty({ example: '^1.0.0', description: 'SDK versions the plugin supports (semver range)' }) apiVersion!: string;
  @ApiProperty({ type: [String] }) providers!: string[];
  @ApiProperty({ example: 'sha512-…' }) integrity!: string;
  @ApiProperty({ description: "Whether this host's SDK is within apiVersion" }) compatible!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'The version of a plugin with this name present here, or null' }) installed!: string | null;
}

export class MarketplacePage extends PageDto {
  @ApiProperty({ type: [MarketplaceEntryDto] }) data!: MarketplaceEntryDto[];
}
