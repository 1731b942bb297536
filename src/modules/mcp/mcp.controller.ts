import { Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type AccountCaller, CurrentCaller } from '../../core/auth/caller.js';
import { Authorize, problem } from '../rbac/index.js';
import { McpAccess } from './mcp-access.js';
import { McpServerFactory } from './mcp-server.js';
import { McpStreams } from './mcp-streams.js';

export const MCP_TAG = 'Agent tools (MCP)';

const jsonRpc = { type: 'object', description: 'A JSON-RPC 2.0 message (or batch) of the Model Context Protocol', additionalProperties: true };

/** The Model Context Protocol server: Streamable HTTP, stateless (every request stands alone, any replica answers). */
@ApiTags(MCP_TAG)
@Controller('mcp')
export class McpController {
  constructor(
    private readonly servers: McpServerFactory,
    private readonly streams: McpStreams,
    private readonly access: McpAccess,
  ) {}

  @Post()
  @HttpCode(200)
  @Authorize('mcp.use')
  @ApiOperation({
    operationId: 'mcpMessage',
    summary: 'Send an MCP message',
    description:
      'The MCP endpoint (Streamable HTTP, stateless, no session id): `initialize`, `tools/list` (paged) and `tools/call`. The tools are the actions of the connections the caller may use in its mode, plus management tools; a refused or invalid call answers a tool result with `isError`, never an HTTP error. Send `Accept: application/json, text/event-stream`.',
  })
  @ApiBody({ required: true, description: 'A JSON-RPC message of MCP', schema: jsonRpc })
  @ApiOkResponse({ description: 'The JSON-RPC response', content: { 'application/json': { schema: jsonRpc } } })
  @ApiResponse({ status: 202, description: 'A notification or response was accepted; nothing to answer' })
  @ApiResponse({ status: 400, description: 'Not a valid JSON-RPC message of MCP (a JSON-RPC error)', content: { 'application/json': { schema: jsonRpc } } })
  @ApiResponse({
    status: 406,
    description: 'The Accept header does not allow application/json and text/event-stream (a JSON-RPC error)',
    content: { 'application/json': { schema: jsonRpc } },
  })
  @problem(403, 'mcp_disabled: the account switched MCP off (the agents.mcp feature flag); permission_denied: the key lacks mcp.use')
  @problem(429, 'Too many requests')
  async message(@CurrentCaller() caller: AccountCaller, @Req() request: Request, @Res() response: Response): Promise<void> {
    await this.access.assertEnabled(caller);
    await this.servers.handle(caller, request, response);
  }

  /** The server-to-client stream: `notifications/tools/list_changed` when the caller's tools change. */
  @Get()
  @Authorize('mcp.use')
  @ApiOperation({
    operationId: 'mcpStream',
    summary: 'Listen for MCP notifications',
    description:
      'A server-sent event stream (no session) carrying `notifications/tools/list_changed` whenever the tools the caller may use change: a connection appears, disconnects or fails, the plan or the plugins change. It ends when the key is revoked or expires, when the account switches MCP off, and after 30 minutes; clients open another. Send `Accept: text/event-stream`.',
  })
  @ApiOkResponse({ description: 'The event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @problem(403, 'mcp_disabled or permission_denied')
  async openStream(@CurrentCaller() caller: AccountCaller, @Req() request: Request, @Res() response: Response): Promise<void> {
    await this.access.assertEnabled(caller);
    if (!/text\/event-stream|\*\/\*/.test(request.header('accept') ?? '')) {
      response.status(406).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Not Acceptable: the stream is text/event-stream' }, id: null });
      return;
    }
    await this.streams.stream(caller, request, response);
  }

  /** Stateless: there is no session to end. */
  @Delete()
  @Authorize('mcp.use')
  @ApiExcludeEndpoint()
  endSession(@Res() response: Response): void {
    response
      .status(405)
      .set('Allow', 'GET, POST')
      .json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this MCP server is stateless and has no session to end' }, id: null });
  }
}
