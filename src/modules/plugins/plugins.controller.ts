import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PageQuery } from '../../core/http/pagination.js';
import { InstanceAdmin } from '../rbac/authorize.decorator.js';
import { PluginPage } from './dto/plugin.dto.js';
import { PluginsService } from './plugins.service.js';

@ApiTags('Plugins')
@Controller('v1/plugins')
export class PluginsController {
  constructor(private readonly plugins: PluginsService) {}

  @Get()
  @InstanceAdmin()
  @ApiOperation({ summary: 'Installed plugins, in load order, with their state and signature' })
  @ApiOkResponse({ type: PluginPage })
  list(@Query() query: PageQuery) {
    return this.plugins.list(query);
  }
}
