import { InjectQueue } from '@nestjs/bull';
import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bull';
import type { AccountCaller } from '../../../core/auth/caller.js';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { parseDuration } from '../../../core/config/env-parsers.js';
import { AppError, ValidationFailedError } from '../../../core/errors/app-errors.js';
import { afterCursor, NEWEST_FIRST, Page, PageQuery, toPage } from '../../../core/http/pagination.js';
import { MaintenanceScheduler } from '../../../core/queue/maintenance.js';
import { QUEUES } from '../../../core/queue/queues.js';
import type { SyncResult } from '../../../sdk/index.js';
import { RecordsQuery, SyncedRecordDto, SyncRunDto, SyncStartedDto } from '../dto/integration.dto.js';
import { Integration } from '../entities/integration.entity.js';
import { SyncRun } from '../entities/sync-run.entity.js';
import { SyncedRecord } from '../entities/synced-record.entity.js';
import { IntegrationHistory } from '../connections/integration-history.js';
import { IntegrationOperationsService } from '../connections/integration-operations.service.js';
import { type ConnectionRef, IntegrationsService } from '../connections/integrations.service.js';
import { ProviderCalls } from '../calls/provider-calls.js';

export interface SyncJob {
  syncRunId: string;
}

const DEFAULT_FREQUENCY = '1h';
const RECORD_BATCH = 500;
/** A run still `running` after this long lost its worker; it is queued again. */
const STALE_RUN_MS = 15 * 60_000;

/**
 * Sync runs are rows in PostgreSQL (status, counts, error, duration); Bull only dispatches them, with
 * the run id as the job id, and a reconciler re-enqueues queued runs that Redis lost.
 */
@Injectable()
export class SyncService implements OnModuleInit {
  private readonly logger = new Logger(SyncService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly em: EntityManager,
    @InjectQueue(QUEUES.syncs) private readonly queue: Queue<SyncJob>,
    private readonly maintenance: MaintenanceScheduler,
    private readonly integrations: IntegrationsService,
    private readonly operations: IntegrationOperationsService,
    private readonly calls: ProviderCalls,
    private readonly history: IntegrationHistory,
  ) {}

  onModuleInit(): void {
    this.maintenance.register({ name: 'integrations.auto-sync', everyMs: 60_000, run: () => this.startDueAutoSyncs() });
    this.maintenance.register({ name: 'integrations.sync-reconcile', everyMs: this.config.reconcileIntervalMs, run: () => this.reconcile() });
  }

  async start(caller: AccountCaller, ref: ConnectionRef): Promise<SyncStartedDto> {
    const byId = 'id' in ref ? await this.operations.usable(caller, ref) : undefined;
    const provider = this.integrations.requireProvider(byId?.provider ?? (ref as { provider: string }).provider);
    if (!provider.sync) throw new ValidationFailedError(`${provider.name} has no sync`, [{ path: 'provider', message: 'does not sync records' }]);
    const integration = byId ?? (await this.operations.usable(caller, ref));
    const run = await this.createRun(integration, 'manual');
    return { syncRunId: run.id };
  }

  async list(caller: AccountCaller, ref: ConnectionRef, query: PageQuery): Promise<Page<SyncRunDto>> {
    const integration = await this.integrations.find(this.em, caller, ref);
    const rows = await this.em.find(
      SyncRun,
      { integrationId: integration.id, ...afterCursor(query.cursor) },
      { orderBy: NEWEST_FIRST, limit: query.limit + 1 },
    );
    return toPage(rows, query.limit, toRunDto);
  }

  async records(caller: AccountCaller, ref: ConnectionRef, query: RecordsQuery): Promise<Page<SyncedRecordDto>> {
    const integration = await this.integrations.find(this.em, caller, ref);
    const rows = await this.em.find(
      SyncedRecord,
      { integrationId: integration.id, ...(query.model ? { model: query.model } : {}), ...afterCursor(query.cursor) },
      { orderBy: NEWEST_FIRST, limit: query.limit + 1 },
    );
    return toPage(rows, query.limit, (row) => ({ id: row.externalId, model: row.model, data: row.data, updatedAt: row.updatedAt }));
  }

  /** Runs one sync (the processor's work): idempotent, a finished run is not run again. */
  async execute(syncRunId: string): Promise<void> {
    const em = this.em.fork();
    const claimed = await em
      .getConnection()
      .execute<{ id: string }[]>(`update sync_runs set status = 'running', started_at = ? where id = ? and status in ('queued', 'running') returning id`, [
        new Date(),
        syncRunId,
      ]);
    if (claimed.length === 0) return;
    const run = await em.findOneOrFail(SyncRun, { id: syncRunId });
    const integration = await em.findOneOrFail(Integration, { id: run.integrationId });
    const started = Date.now();
    try {
      if (!['connected', 'error'].includes(integration.status)) throw new AppError('conflict', 409, `the integration is ${integration.status}`);
      const result = await this.calls.invoke<SyncResult | null>(integration, { kind: 'sync' });
      run.counts = await this.store(integration.id, run.id, result?.records ?? {});
      run.status = 'succeeded';
    } catch (error) {
      run.status = 'failed';
      run.error = error instanceof AppError ? error.message : 'The sync failed unexpectedly';
      if (!(error instanceof AppError)) this.logger.error({ err: error, syncRunId }, 'sync failed');
    }
    run.finishedAt = new Date();
    run.durationMs = Date.now() - started;
    await em.transactional(async (tx) => {
      const current = await tx.findOneOrFail(Integration, { id: integration.id });
      tx.persist(run);
      if (run.status === 'succeeded') {
        current.lastSyncAt = run.finishedAt!;
        await this.history.record(tx, current, 'integration.sync.completed', 'system', { syncRunId: run.id, records: run.counts });
      } else {
        await this.history.record(tx, current, 'integration.sync.failed', 'system', { syncRunId: run.id, error: { message: run.error } });
      }
    });
  }

  private async createRun(integration: Integration, trigger: SyncRun['trigger']): Promise<SyncRun> {
    const em = this.em.fork();
    const run = em.create(SyncRun, { integrationId: integration.id, accountId: integration.accountId, livemode: integration.livemode, trigger });
    await em.flush();
    await this.enqueue(run.id);
    return run;
  }

  private async enqueue(syncRunId: string): Promise<void> {
    try {
      await this.queue.add({ syncRunId }, { jobId: syncRunId, attempts: 1, removeOnComplete: true });
    } catch (error) {
      this.logger.warn(`sync run ${syncRunId} not queued now (${(error as Error).message}); the reconciler will queue it`);
    }
  }

  /** Upserts the records by external id, in batches; returns how many per model. */
  private async store(integrationId: string, syncRunId: string, records: NonNullable<SyncResult['records']>): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    const connection = this.em.getConnection();
    for (const [model, items] of Object.entries(records)) {
      counts[model] = items.length;
      for (let offset = 0; offset < items.length; offset += RECORD_BATCH) {
        const batch = items.slice(offset, offset + RECORD_BATCH).filter((item) => item && (typeof item.id === 'string' || typeof item.id === 'number'));
        if (batch.length === 0) continue;
        const now = new Date();
        const values = batch.map(() => '(gen_random_uuid(), ?, ?, ?, ?::jsonb, ?, ?, ?)').join(', ');
        const params = batch.flatMap((item) => [integrationId, model, String(item.id), JSON.stringify(item), syncRunId, now, now]);
        await connection.execute(
          `insert into synced_records (id, integration_id, model, external_id, data, last_sync_run_id, created_at, updated_at) values ${values}
           on conflict (integration_id, model, external_id) do update set data = excluded.data, last_sync_run_id = excluded.last_sync_run_id, updated_at = excluded.updated_at`,
          params,
        );
      }
    }
    return counts;
  }

  private async startDueAutoSyncs(): Promise<number> {
    const em = this.em.fork();
    const due = await em.find(Integration, { autoSync: true, status: 'connected', nextSyncAt: { $lte: new Date() } }, { limit: 500 });
    let started = 0;
    for (const integration of due) {
      const provider = this.integrations.findProvider(integration.provider);
      const frequency = integration.syncFrequency ?? provider?.sync?.defaultFrequency ?? DEFAULT_FREQUENCY;
      integration.nextSyncAt = new Date(Date.now() + parseDuration(frequency));
      if (!provider?.sync) continue;
      await em.flush();
      await this.createRun(integration, 'schedule');
      started++;
    }
    await em.flush();
    return started;
  }

  private async reconcile(): Promise<number> {
    const stale = new Date(Date.now() - STALE_RUN_MS);
    const queuedBefore = new Date(Date.now() - this.config.reconcileIntervalMs);
    const runs = await this.em.fork().find(
      SyncRun,
      {
        $or: [
          { status: 'queued', createdAt: { $lt: queuedBefore } },
          { status: 'running', startedAt: { $lt: stale } },
        ],
      },
      { limit: 500, fields: ['id'] },
    );
    for (const run of runs) {
      const job = await this.queue.getJob(run.id);
      if (!job || (await job.isFailed()) || (await job.isCompleted())) {
        await job?.remove().catch(() => undefined);
        await this.enqueue(run.id);
      }
    }
    return runs.length;
  }
}

function toRunDto(run: SyncRun): SyncRunDto {
  return {
    id: run.id,
    status: run.status,
    trigger: run.trigger,
    counts: run.counts,
    error: run.error ?? null,
    startedAt: run.startedAt ?? null,
    finishedAt: run.finishedAt ?? null,
    durationMs: run.durationMs ?? null,
    createdAt: run.createdAt,
  };
}
