import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { type Caller, CurrentCaller } from '../../core/auth/caller.js';
import { PageQuery } from '../../core/http/pagination.js';
import { InstanceAdmin } from '../rbac/index.js';
import { InstallPluginDto, MarketplacePage, PluginDto, PluginPage } from './dto/plugin.dto.js';
import { MarketplaceCatalog } from './marketplace/marketplace-catalog.service.js';
import { PluginsService } from './plugins.service.js';

const NAME = ApiParam({ name: 'name', description: 'The package name, URL-encoded (@acme/crm → %40acme%2Fcrm)' });
const REJECTED = ApiResponse({
  status: 422,
  description: 'plugin_rejected: integrity mismatch, bad or missing signature, incompatible apiVersion, unsafe archive, or a plugin that does not load',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const SOURCE_NOT_FOUND = ApiResponse({
  status: 404,
  description: 'not_found: the marketplace has no such plugin or version, or the tarball path does not exist',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

@ApiTags('Plugins')
@Controller('v1')
export class PluginsController {
  constructor(
    private readonly plugins: PluginsService,
    private readonly catalog: MarketplaceCatalog,
  ) {}

  @Get('plugins')
  @InstanceAdmin()
  @ApiOperation({ summary: 'Installed plugins, in load order, with their state and signature' })
  @ApiOkResponse({ type: PluginPage })
  list(@Query() query: PageQuery) {
    return this.plugins.list(query);
  }

  @Post('plugins')
  @InstanceAdmin()
  @ApiOperation({ summary: 'Install (or upgrade) a plugin; it is usable on return, on every replica after its next start' })
  @ApiCreatedResponse({ type: PluginDto })
  @REJECTED
  @SOURCE_NOT_FOUND
  install(@CurrentCaller() caller: Caller, @Body() dto: InstallPluginDto) {
    return this.plugins.install(caller, dto);
  }

  @Post('plugins/:name/enable')
  @HttpCode(200)
  @InstanceAdmin()
  @NAME
  @ApiOperation({ summary: 'Enable a disabled plugin (or retry loading a failed one)' })
  @ApiOkResponse({ type: PluginDto })
  enable(@CurrentCaller() caller: Caller, @Param('name') name: string) {
    return this.plugins.enable(caller, name);
  }

  @Post('plugins/:name/disable')
  @HttpCode(200)
  @InstanceAdmin()
  @NAME
  @ApiOperation({ summary: 'Disable a plugin: its providers stop answering until it is enabled again' })
  @ApiOkResponse({ type: PluginDto })
  disable(@CurrentCaller() caller: Caller, @Param('name') name: string) {
    return this.plugins.disable(caller, name);
  }

  @Delete('plugins/:name')
  @HttpCode(204)
  @InstanceAdmin()
  @NAME
  @ApiOperation({ summary: 'Uninstall a plugin installed through Plugboard (bundled and directory plugins can only be disabled: 409)' })
  @ApiNoContentResponse()
  async uninstall(@CurrentCaller() caller: Caller, @Param('name') name: string): Promise<void> {
    await this.plugins.uninstall(caller, name);
  }

  @Get('marketplace')
  @InstanceAdmin()
  @ApiOperation({ summary: 'The marketplace catalog (MARKETPLACE_INDEX), with compatibility and what is installed' })
  @ApiOkResponse({ type: MarketplacePage })
  marketplace(@Query() query: PageQuery) {
    return this.catalog.list(query);
  }
}
