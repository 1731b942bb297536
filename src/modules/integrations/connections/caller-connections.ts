import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AccountCaller } from '../../../core/auth/caller.js';
import { AppError } from '../../../core/errors/app-errors.js';
import type { Page } from '../../../core/http/pagination.js';
import type { ConnectionOwner, IntegrationStatus } from '../entities/integration.entity.js';
import { Integration } from '../entities/integration.entity.js';
import type { HealthCheckResultDto, IntegrationDto, SyncedRecordDto, SyncStartedDto } from '../dto/integration.dto.js';
import { SyncService } from '../sync/sync.service.js';
import { ConnectionAccess } from './connection-access.js';
import { IntegrationOperationsService } from './integration-operations.service.js';
import { IntegrationsService } from './integrations.service.js';

/** An action of a provider as an agent sees it: the plugin's description and JSON Schemas. */
export interface UsableAction {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
}

/** A connection the caller may use now (by owner, role and plan), with what it can do. */
export interface UsableConnection {
  id: string;
  provider: string;
  providerName: string;
  owner: ConnectionOwner;
  label: string | null;
  displayName: string | null;
  isDefault: boolean;
  status: IntegrationStatus;
  syncs: boolean;
  actions: UsableAction[];
}

/**
 * What modules above integrations (the MCP server) may do with connections on behalf of a caller, by
 * exactly the rules of `/v1/connections/{id}/…`: the same owner, role and plan checks, the same schema
 * validation and errors (thrown as the AppErrors those routes answer with).
 */
@Injectable()
export class CallerConnections {
  constructor(
    private readonly em: EntityManager,
    private readonly integrations: IntegrationsService,
    private readonly access: ConnectionAccess,
    private readonly operations: IntegrationOperationsService,
    private readonly syncs: SyncService,
  ) {}

  /**
   * The caller's connections in its mode that it may `use` (owner and plan) and that are connected or in
   * error, oldest first; `withRefused` adds those its role or plan refuses (to run and be refused with the reason).
   */
  async usable(caller: AccountCaller, options: { withRefused?: boolean } = {}): Promise<UsableConnection[]> {
    const rows = await this.em.fork().find(
      Integration,
      {
        accountId: caller.accountId,
        livemode: caller.livemode,
        status: { $in: options.withRefused ? ['connected', 'error', 'suspended'] : ['connected', 'error'] },
      },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    const usable: UsableConnection[] = [];
    for (const row of rows) {
      const provider = this.integrations.findProvider(row.provider);
      if (!provider) continue;
      try {
        this.access.authorize(caller, row, 'use');
        await this.integrations.assertUsable(caller, row);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        if (!options.withRefused) continue;
      }
      usable.push({
        id: row.id,
        provider: row.provider,
        providerName: provider.name,
        owner: row.owner,
        label: row.label ?? null,
        displayName: row.displayName ?? null,
        isDefault: row.isDefault,
        status: row.status,
        syncs: !!provider.sync,
        actions: provider.actions.map((action) => ({
          name: action.name,
          description: action.description,
          inputSchema: action.inputSchema,
          ...(action.outputSchema ? { outputSchema: action.outputSchema } : {}),
        })),
      });
    }
    return usable;
  }

  /** As GET /v1/connections. */
  async list(caller: AccountCaller, query: { provider?: string; status?: string; limit: number; cursor?: string }): Promise<Page<IntegrationDto>> {
    return JSON.parse(await this.integrations.listConnections(caller, query)) as Page<IntegrationDto>;
  }

  /** As POST /v1/connections/{id}/actions/{action}. */
  runAction(caller: AccountCaller, id: string, action: string, input: unknown): Promise<unknown> {
    return this.operations.runAction(caller, { id }, action, input);
  }

  /** As POST /v1/connections/{id}/health-check. */
  healthCheck(caller: AccountCaller, id: string): Promise<HealthCheckResultDto> {
    return this.operations.healthCheck(caller, { id });
  }

  /** As POST /v1/connections/{id}/sync. */
  startSync(caller: AccountCaller, id: string, options: { full?: boolean }): Promise<SyncStartedDto> {
    return this.syncs.start(caller, { id }, options);
  }

  /** As GET /v1/connections/{id}/records. */
  records(
    caller: AccountCaller,
    id: string,
    query: { model?: string; modifiedAfter?: Date; cursor?: string; limit: number; filter?: string },
  ): Promise<Page<SyncedRecordDto>> {
    return this.syncs.records(caller, { id }, query);
  }
}
