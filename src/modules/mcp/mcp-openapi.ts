import type { OpenAPIObject } from '@nestjs/swagger';
import { MCP_TAG } from './mcp.controller.js';

const TAG = {
  name: MCP_TAG,
  description:
    'The Model Context Protocol server for AI agents: every action of every connection the caller may use as a tool, under its roles, plan, mode and audit log.',
};

/** Declares the module's tag in /openapi.json. */
export function contributeMcpOpenApi(document: OpenAPIObject): void {
  document.tags ??= [];
  if (!document.tags.some((declared) => declared.name === TAG.name)) document.tags.push(TAG);
}
