import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { AccountCaller } from '../../core/auth/caller.js';
import { AppError, type FieldError, PermissionDeniedError, ValidationFailedError } from '../../core/errors/app-errors.js';
import { AuditService } from '../audit/index.js';
import { CallerConnections, type UsableConnection } from '../integrations/index.js';

/** How many tools one `tools/list` page holds; the rest follow with `nextCursor`. */
export const TOOLS_PAGE_SIZE = 100;
/** MCP tool names: 1-128 of these characters. */
const NAME_LIMIT = 128;
const DESCRIPTION_LIMIT = 400;

type JsonSchema = Record<string, unknown>;

/** One tool the caller may call, and how it runs. */
interface ToolEntry {
  tool: Tool;
  connectionId?: string;
  provider?: string;
  action?: string;
  /** Wraps a non-object output as `{ result }`, as its published output schema says. */
  wrapOutput?: boolean;
  run(caller: AccountCaller, args: Record<string, unknown>): Promise<unknown>;
}

const STATUSES = ['connected', 'error', 'expired', 'suspended', 'disconnected'];
const connectionId: JsonSchema = { type: 'string', format: 'uuid', description: 'The connection id (plugboard_list_connections)' };

/** The management tools, for callers who may see connections (`integrations.view` or `connections.manage`). */
const MANAGEMENT: Array<{
  name: string;
  description: string;
  inputSchema: JsonSchema;
  run: (c: CallerConnections, caller: AccountCaller, a: Args) => Promise<unknown>;
}> = [
  {
    name: 'plugboard_list_connections',
    description: 'Lists the connections of this mode (newest first) with their provider, owner, label and status.',
    inputSchema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        provider: { type: 'string', description: 'Only this provider (its id)' },
        status: { type: 'string', enum: STATUSES },
        limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
        cursor: { type: 'string', description: 'The nextCursor of the previous page' },
      },
    },
    run: (c, caller, a) =>
      c.list(caller, {
        provider: a.provider as string | undefined,
        status: a.status as string | undefined,
        limit: (a.limit as number) ?? 20,
        cursor: a.cursor as string | undefined,
      }),
  },
  {
    name: 'plugboard_check_connection',
    description: 'Asks the provider whether a connection still works; a refused one turns to status error.',
    inputSchema: { type: 'object', additionalProperties: false, required: ['connectionId'], properties: { connectionId } },
    run: (c, caller, a) => c.healthCheck(caller, a.connectionId as string),
  },
  {
    name: 'plugboard_start_sync',
    description: 'Queues a sync of a connection (or answers the run already queued); read the records afterwards.',
    inputSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['connectionId'],
      properties: { connectionId, full: { type: 'boolean', default: false, description: 'Ignore high-water marks and fetch everything' } },
    },
    run: (c, caller, a) => c.startSync(caller, a.connectionId as string, { full: a.full === true }),
  },
  {
    name: 'plugboard_read_records',
    description: 'Reads synced records of a connection in modification order; resume with modifiedAfter or the cursor.',
    inputSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['connectionId'],
      properties: {
        connectionId,
        model: { type: 'string', maxLength: 100, description: 'Only this model, e.g. contacts' },
        modifiedAfter: { type: 'string', format: 'date-time', description: 'Only records added, changed or deleted after this time' },
        cursor: { type: 'string', maxLength: 512 },
        limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      },
    },
    run: (c, caller, a) =>
      c.records(caller, a.connectionId as string, {
        model: a.model as string | undefined,
        modifiedAfter: typeof a.modifiedAfter === 'string' ? new Date(a.modifiedAfter) : undefined,
        cursor: a.cursor as string | undefined,
        limit: (a.limit as number) ?? 100,
      }),
  },
];

type Args = Record<string, unknown>;

/**
 * The MCP tools of a caller: each action of each connection it may use (by owner, role and plan, in
 * its mode), named `<provider>_<action>` — `<provider>_<label or id>_<action>` when it may use several
 * connections of the provider — plus the management tools. A call runs as the REST route does and is
 * audited as `mcp.tool_called` with the tool's name; every refusal is a tool error, never a transport one.
 */
@Injectable()
export class McpTools {
  private readonly logger = new Logger(McpTools.name);
  private readonly managementValidators: Map<string, ValidateFunction>;

  constructor(
    private readonly connections: CallerConnections,
    private readonly audit: AuditService,
    private readonly em: EntityManager,
  ) {
    const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
    addFormats.default(ajv);
    this.managementValidators = new Map(MANAGEMENT.map((tool) => [tool.name, ajv.compile(tool.inputSchema)]));
  }

  /** The caller's tools, in a stable order: management tools first, then by connection age and action. */
  async list(caller: AccountCaller): Promise<Tool[]> {
    return [...(await this.catalog(caller)).values()].map((entry) => entry.tool);
  }

  async call(caller: AccountCaller, name: string, args: Args, requestId?: string): Promise<CallToolResult> {
    let entry = (await this.catalog(caller)).get(name);
    if (!entry && allowedByKey(caller, name)) entry = await this.refusedEntry(caller, name);
    let result: CallToolResult;
    let failure: AppError | undefined;
    if (!allowedByKey(caller, name)) {
      failure = new PermissionDeniedError('mcp', `This API key may not call "${name}": it is limited to ${caller.mcpTools!.join(', ')}`);
      result = toolError(failure);
    } else if (!entry) {
      failure = new AppError('not_found', 404, `No tool "${name}" for this caller: tools/list names the tools it may call`);
      result = toolError(failure);
    } else {
      try {
        const output = await entry.run(caller, args);
        result = toolResult(output, entry.wrapOutput === true);
      } catch (error) {
        if (!(error instanceof AppError)) this.logger.error({ err: error, tool: name }, 'MCP tool call failed');
        failure = error instanceof AppError ? error : new AppError('internal', 500, 'The tool failed; the error is logged');
        result = toolError(failure);
      }
    }
    const target = entry?.connectionId ?? (typeof args.connectionId === 'string' ? args.connectionId : undefined);
    await this.record(caller, name, entry, target, failure, requestId);
    return result;
  }

  private async record(
    caller: AccountCaller,
    tool: string,
    entry: ToolEntry | undefined,
    target: string | undefined,
    failure: AppError | undefined,
    requestId?: string,
  ) {
    const em = this.em.fork();
    this.audit.record(
      em,
      caller,
      {
        action: 'mcp.tool_called',
        ...(target ? { targetType: 'connection', targetId: target.slice(0, 100) } : {}),
        details: {
          tool,
          ...(entry?.provider ? { provider: entry.provider, action: entry.action } : {}),
          outcome: failure ? 'failed' : 'succeeded',
          ...(failure ? { error: { code: failure.code, status: failure.status } } : {}),
        },
      },
      requestId,
    );
    await em.flush();
  }

  /** Name → tool, for the connections the caller may use now. */
  private async catalog(caller: AccountCaller): Promise<Map<string, ToolEntry>> {
    const entries = new Map<string, ToolEntry>();
    if (caller.permissions.has('integrations.view') || caller.permissions.has('connections.manage')) {
      for (const tool of MANAGEMENT) {
        const validate = this.managementValidators.get(tool.name)!;
        entries.set(tool.name, {
          tool: { name: tool.name, description: tool.description, inputSchema: tool.inputSchema as Tool['inputSchema'] },
          run: (c, args) => {
            const given = { ...args };
            if (!validate(given)) throw new ValidationFailedError(`The arguments do not match ${tool.name}'s schema`, fieldErrors(validate));
            return tool.run(this.connections, c, given);
          },
        });
      }
    }
    for (const [name, entry] of actionTools(await this.connections.usable(caller))) if (!entries.has(name)) entries.set(name, entry(this.connections));
    if (caller.mcpTools) for (const name of entries.keys()) if (!allowedByKey(caller, name)) entries.delete(name);
    return entries;
  }

  /**
   * A tool name the caller may not call now (its role or plan refuses the connection): runs it anyway so
   * the REST route's own 402/403 answers with the reason.
   */
  private async refusedEntry(caller: AccountCaller, name: string): Promise<ToolEntry | undefined> {
    const all = await this.connections.usable(caller, { withRefused: true });
    return actionTools(all).get(name)?.(this.connections);
  }
}

/** Whether the caller's key allows the tool: no allow-list, a listed name, or a listed prefix ending in `*`. */
function allowedByKey(caller: AccountCaller, name: string): boolean {
  if (!caller.mcpTools) return true;
  return caller.mcpTools.some((allowed) => (allowed.endsWith('*') ? name.startsWith(allowed.slice(0, -1)) : allowed === name));
}

/** Tools for each action of each connection, keyed by name. */
function actionTools(connections: UsableConnection[]): Map<string, (c: CallerConnections) => ToolEntry> {
  const byProvider = new Map<string, UsableConnection[]>();
  for (const connection of connections) byProvider.set(connection.provider, [...(byProvider.get(connection.provider) ?? []), connection]);
  const tools = new Map<string, (c: CallerConnections) => ToolEntry>();
  for (const [provider, group] of byProvider) {
    const qualifiers = qualify(group);
    for (const connection of group) {
      const qualifier = qualifiers.get(connection.id);
      for (const action of connection.actions) {
        const name = toolName(provider, qualifier, action.name);
        const output = outputSchemaOf(action.outputSchema);
        const where = `${connection.providerName}${qualifier ? `, connection "${connection.label ?? connection.id}"` : ''}`;
        const tool: Tool = {
          name,
          title: `${connection.providerName}: ${action.name}`,
          description: clip(`${action.description.replace(/\.$/, '')} (${where}).`),
          inputSchema: { ...action.inputSchema, type: 'object' },
          ...(output ? { outputSchema: output.schema as Tool['outputSchema'] } : {}),
        };
        tools.set(name, (c) => ({
          tool,
          connectionId: connection.id,
          provider,
          action: action.name,
          wrapOutput: output?.wrapped,
          run: (caller, args) => c.runAction(caller, connection.id, action.name, args),
        }));
      }
    }
  }
  return tools;
}

/** With several connections of a provider, each is named by its label (when unique) or its id's first block. */
function qualify(group: UsableConnection[]): Map<string, string> {
  const qualifiers = new Map<string, string>();
  if (group.length < 2) return qualifiers;
  const slugs = group.map((connection) => (connection.label ? slug(connection.label) : ''));
  group.forEach((connection, index) => {
    const unique = slugs[index] && slugs.filter((candidate) => candidate === slugs[index]).length === 1;
    qualifiers.set(connection.id, unique ? slugs[index] : connection.id.slice(0, 8));
  });
  return qualifiers;
}

const slug = (label: string) =>
  label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32);

function toolName(provider: string, qualifier: string | undefined, action: string): string {
  const name = [provider, qualifier, action]
    .filter(Boolean)
    .join('_')
    .replace(/[^A-Za-z0-9_.-]/g, '_');
  return name.slice(0, NAME_LIMIT);
}

/** MCP output schemas describe an object: another schema is published as `{ result }`. */
function outputSchemaOf(schema: JsonSchema | undefined): { schema: JsonSchema; wrapped: boolean } | undefined {
  if (!schema) return undefined;
  if (schema.type === 'object') return { schema, wrapped: false };
  return { schema: { type: 'object', required: ['result'], properties: { result: schema } }, wrapped: true };
}

function toolResult(output: unknown, wrap: boolean): CallToolResult {
  const structured = wrap ? { result: output } : isPlainObject(output) ? output : undefined;
  return {
    content: [{ type: 'text', text: JSON.stringify(output ?? null) }],
    ...(structured ? { structuredContent: structured } : {}),
  };
}

/** A refusal as the tool's error text: the code and status of the REST answer, its message and the fields at fault. */
function toolError(error: AppError): CallToolResult {
  const fields = (error.extra.errors as FieldError[] | undefined) ?? [];
  const lines = [`${error.code} (${error.status}): ${error.message}`, ...fields.map((field) => `- ${field.path}: ${field.message}`)];
  return { isError: true, content: [{ type: 'text', text: lines.join('\n') }] };
}

function fieldErrors(validate: ValidateFunction): FieldError[] {
  return (validate.errors ?? []).map((error) => {
    const base = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const missing = error.keyword === 'required' ? (error.params as { missingProperty: string }).missingProperty : undefined;
    const extra = error.keyword === 'additionalProperties' ? (error.params as { additionalProperty: string }).additionalProperty : undefined;
    const path = [base, missing ?? extra].filter(Boolean).join('.');
    return { path: path || '(arguments)', message: error.message ?? 'is invalid' };
  });
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const clip = (text: string) => (text.length <= DESCRIPTION_LIMIT ? text : `${text.slice(0, DESCRIPTION_LIMIT - 1)}…`);
