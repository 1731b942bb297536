import { Module } from '@nestjs/common';
import { OpenApiContributions } from '../../core/openapi/openapi.js';
import { ApiKeysModule } from '../api-keys/index.js';
import { AuditModule } from '../audit/index.js';
import { IntegrationsModule } from '../integrations/index.js';
import { OnboardingModule } from '../onboarding/index.js';
import { contributeMcpOpenApi } from './mcp-openapi.js';
import { McpController } from './mcp.controller.js';
import { McpAccess } from './mcp-access.js';
import { McpServerFactory } from './mcp-server.js';
import { McpStreams } from './mcp-streams.js';
import { McpTools } from './mcp-tools.js';

/** Agent tools: an MCP server at /mcp over the integrations module's connections (`mcp.use`). */
@Module({
  imports: [AuditModule, ApiKeysModule, IntegrationsModule, OnboardingModule],
  controllers: [McpController],
  providers: [McpTools, McpServerFactory, McpStreams, McpAccess],
})
export class McpModule {
  constructor(openApi: OpenApiContributions) {
    openApi.register(contributeMcpOpenApi);
  }
}
