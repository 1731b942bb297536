import { Injectable } from '@nestjs/common';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Request, Response } from 'express';
import type { AccountCaller } from '../../core/auth/caller.js';
import { McpTools, TOOLS_PAGE_SIZE } from './mcp-tools.js';

export const MCP_SERVER_INFO = { name: 'plugboard', version: '1.0.0' };

/**
 * One MCP server and Streamable HTTP transport per request, for the request's caller: stateless (no
 * session id), answering JSON, so any replica can answer any request.
 */
@Injectable()
export class McpServerFactory {
  constructor(private readonly tools: McpTools) {}

  async handle(caller: AccountCaller, request: Request, response: Response): Promise<void> {
    const server = this.create(caller, requestIdOf(request));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    response.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    // Answers are always JSON here (no event stream): a client that does not list both types the
    // transport insists on is served all the same rather than refused with a bare 406.
    request.headers.accept = 'application/json, text/event-stream';
    await transport.handleRequest(request, response, request.body);
  }

  private create(caller: AccountCaller, requestId: string | undefined): Server {
    const server = new Server(MCP_SERVER_INFO, {
      capabilities: { tools: { listChanged: true } },
      instructions:
        'Tools run the actions of this account’s connections in the mode of your key (test or live). plugboard_list_connections shows connections and their status; a refused call returns the reason as the tool error.',
    });
    server.setRequestHandler(ListToolsRequestSchema, async (message) => {
      const all = await this.tools.list(caller);
      const start = pageStart(message.params?.cursor);
      const next = start + TOOLS_PAGE_SIZE;
      return { tools: all.slice(start, next), ...(next < all.length ? { nextCursor: Buffer.from(String(next)).toString('base64url') } : {}) };
    });
    server.setRequestHandler(CallToolRequestSchema, (message) => this.tools.call(caller, message.params.name, message.params.arguments ?? {}, requestId));
    return server;
  }
}

/** The offset a `tools/list` cursor stands for; an unreadable one starts over. */
function pageStart(cursor: string | undefined): number {
  if (!cursor) return 0;
  const offset = Number(Buffer.from(cursor, 'base64url').toString());
  return Number.isSafeInteger(offset) && offset > 0 ? offset : 0;
}

function requestIdOf(request: Request): string | undefined {
  const id = (request as Request & { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}
