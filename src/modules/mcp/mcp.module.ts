import { Module } from '@nestjs/common';
import { OpenApiContributions } from '../../core/openapi/openapi.js';
import { AuditModule } from '../audit/index.js';
import { IntegrationsModule } from '../integrations/index.js';
import { contributeMcpOpenApi } from './mcp-openapi.js';
import { McpController } from './mcp.controller.js';
import { McpServerFactory } from './mcp-server.js';
import { McpTools } from './mcp-tools.js';

/** Agent tools: an MCP server at /mcp over the integrations module's connections (`mcp.use`). */
@Module({
  imports: [AuditModule, IntegrationsModule],
  controllers: [McpController],
  providers: [McpTools, McpServerFactory],
})
export class McpModule {
  constructor(openApi: OpenApiContributions) {
    openApi.register(contributeMcpOpenApi);
  }
}
