import { Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type AccountCaller, CurrentCaller } from '../../core/auth/caller.js';
import { Authorize, problem } from '../rbac/index.js';
import { McpServerFactory } from './mcp-server.js';

export const MCP_TAG = 'Agent tools (MCP)';

const jsonRpc = { type: 'object', description: 'A JSON-RPC 2.0 message (or batch) of the Model Context Protocol', additionalProperties: true };

/** The Model Context Protocol server: Streamable HTTP, stateless (every request stands alone, any replica answers). */
@ApiTags(MCP_TAG)
@Controller('mcp')
export class McpController {
  constructor(private readonly servers: McpServerFactory) {}

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
  @problem(429, 'Too many requests')
  async message(@CurrentCaller() caller: AccountCaller, @Req() request: Request, @Res() response: Response): Promise<void> {
    await this.servers.handle(caller, request, response);
  }

  /** Stateless: no server-sent event stream to open, no session to end. */
  @Get()
  @Authorize('mcp.use')
  @ApiExcludeEndpoint()
  openStream(@Res() response: Response): void {
    methodNotAllowed(response);
  }

  @Delete()
  @Authorize('mcp.use')
  @ApiExcludeEndpoint()
  endSession(@Res() response: Response): void {
    methodNotAllowed(response);
  }
}

function methodNotAllowed(response: Response): void {
  response
    .status(405)
    .set('Allow', 'POST')
    .json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this MCP server is stateless, POST only' }, id: null });
}
