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
  @ApiOkResponse({ type: PluginPage })
  @ApiOperation({
    operationId: 'listPlugins',
    summary: 'List installed plugins',
    description: 'Installed plugins, in load order, with their state and signature. Instance administrators only.',
  })
  list(@Query() query: PageQuery) {
    return this.plugins.list(query);
  }

  @Post('plugins')
  @InstanceAdmin()
  @ApiCreatedResponse({ type: PluginDto })
  @REJECTED
  @SOURCE_NOT_FOUND
  @ApiOperation({
    operationId: 'installPlugin',
    summary: 'Install a plugin',
    description:
      'Installs (or upgrades) a plugin from the marketplace (`name@version`), a tarball URL or a path. It is usable on return, on every replica after its next reconciliation.',
  })
  install(@CurrentCaller() caller: Caller, @Body() dto: InstallPluginDto) {
    return this.plugins.install(caller, dto);
  }

  @Post('plugins/:name/enable')
  @HttpCode(200)
  @InstanceAdmin()
  @NAME
  @ApiOkResponse({ type: PluginDto })
  @ApiOperation({ operationId: 'enablePlugin', summary: 'Enable a plugin', description: 'Enables a disabled plugin, or retries loading a failed one.' })
  enable(@CurrentCaller() caller: Caller, @Param('name') name: string) {
    return this.plugins.enable(caller, name);
  }

  @Post('plugins/:name/disable')
  @HttpCode(200)
  @InstanceAdmin()
  @NAME
  @ApiOkResponse({ type: PluginDto })
  @ApiOperation({
    operationId: 'disablePlugin',
    summary: 'Disable a plugin',
    description: 'Disables a plugin: its providers stop answering until it is enabled again. Bundled plugins too.',
  })
  disable(@CurrentCaller() caller: Caller, @Param('name') name: string) {
    return this.plugins.disable(caller, name);
  }

  @Delete('plugins/:name')
  @HttpCode(204)
  @InstanceAdmin()
  @NAME
  @ApiNoContentResponse()
  @ApiOperation({
    operationId: 'uninstallPlugin',
    summary: 'Uninstall a plugin',
    description: 'Uninstalls a plugin installed through Plugboard; bundled and directory plugins can only be disabled (409).',
  })
  async uninstall(@CurrentCaller() caller: Caller, @Param('name') name: string): Promise<void> {
    await this.plugins.uninstall(caller, name);
  }

  @Get('marketplace')
  @InstanceAdmin()
  @ApiOkResponse({ type: MarketplacePage })
  @ApiOperation({
    operationId: 'listMarketplace',
    summary: 'Browse the marketplace',
    description: 'The marketplace catalog (MARKETPLACE_INDEX), with whether each version is compatible and which is installed.',
  })
  marketplace(@Query() query: PageQuery) {
    return this.catalog.list(query);
  }
}
