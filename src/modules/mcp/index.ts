/** The mcp module's public surface: its Nest module (the MCP endpoint is its whole interface). */
export { McpModule } from './mcp.module.js';
