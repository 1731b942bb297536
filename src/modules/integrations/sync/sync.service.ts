import { InjectQueue } from '@nestjs/bull';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bull';
import type { AccountCaller } from '../../../core/auth/caller.js';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { parseDuration } from '../../../core/config/env-parsers.js';
import { AppError, ValidationFailedError } from '../../../core/errors/app-errors.js';
import { afterCursor, decodeCursor, encodeCursor, NEWEST_FIRST, Page, PageQuery, toPage } from '../../../core/http/pagination.js';
import { MaintenanceScheduler } from '../../../core/queue/maintenance.js';
import { QUEUES } from '../../../core/queue/queues.js';
import type { SyncResult } from '../../../sdk/index.js';
import { RecordsQuery, StartSyncDto, SyncedRecordDto, SyncRunDto, SyncStartedDto } from '../dto/integration.dto.js';
import { Integration } from '../entities/integration.entity.js';
import { SyncRun } from '../entities/sync-run.entity.js';
import type { RecordAction } from '../entities/synced-record.entity.js';
import { IntegrationHistory } from '../connections/integration-history.js';
import { IntegrationOperationsService } from '../connections/integration-operations.service.js';
import { type ConnectionRef, IntegrationsService } from '../connections/integrations.service.js';
import { ProviderCalls } from '../calls/provider-calls.js';
import { type RecordChanges, SyncedRecordRepository } from './synced-record.repository.js';
import { AutomationGate } from './automation-gate.js';

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
    private readonly storedRecords: SyncedRecordRepository,
    private readonly gate: AutomationGate,
  ) {}

  onModuleInit(): void {
    this.maintenance.register({ name: 'integrations.auto-sync', everyMs: 60_000, run: () => this.startDueAutoSyncs() });
    this.maintenance.register({ name: 'integrations.sync-reconcile', everyMs: this.config.reconcileIntervalMs, run: () => this.reconcile() });
    this.maintenance.register({
      name: 'integrations.record-tombstones',
      everyMs: 3_600_000,
      run: () => this.storedRecords.purgeDeletedBefore(new Date(Date.now() - this.config.integrations.tombstoneDays * 86_400_000)),
    });
  }

  async start(caller: AccountCaller, ref: ConnectionRef, options: StartSyncDto = {}): Promise<SyncStartedDto> {
    const byId = 'id' in ref ? await this.operations.usable(caller, ref) : undefined;
    const provider = this.integrations.requireProvider(byId?.provider ?? (ref as { provider: string }).provider);
    if (!provider.sync) throw new ValidationFailedError(`${provider.name} has no sync`, [{ path: 'provider', message: 'does not sync records' }]);
    const integration = byId ?? (await this.operations.usable(caller, ref));
    const run = await this.createRun(integration, 'manual', options.full === true);
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

  /** Records in (last modified, id) order, so a reader of changes resumes exactly where it stopped. */
  async records(caller: AccountCaller, ref: ConnectionRef, query: RecordsQuery): Promise<Page<SyncedRecordDto>> {
    const integration = await this.integrations.find(this.em, caller, ref);
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.storedRecords.page(integration.id, {
      model: query.model,
      modifiedAfter: query.modifiedAfter,
      actions: (query.filter?.split(',') as RecordAction[] | undefined) ?? ['added', 'updated'],
      after: after && { at: after.createdAt, id: after.id },
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      data: page.map((row) => ({
        id: row.external_id,
        model: row.model,
        data: row.data,
        updatedAt: row.last_modified_at,
        meta: { lastAction: row.last_action, firstSeenAt: row.first_seen_at, lastModifiedAt: row.last_modified_at, deletedAt: row.deleted_at },
      })),
      nextCursor: rows.length > query.limit ? encodeCursor({ createdAt: last.last_modified_at, id: last.id }) : null,
    };
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
      const since = run.full ? {} : await this.lastHighWaterMarks(em, integration.id);
      const input = Object.keys(since).length > 0 ? { highWaterMarks: since } : undefined;
      const result = await this.calls.invoke<SyncResult | null>(integration, { kind: 'sync', input });
      // A model synced from a mark returned only what changed since: what it did not return still exists.
      const stored = await this.store(integration.id, run.id, result ?? {}, (model) => since[model] === undefined);
      const marks = { ...since, ...highWaterMarksOf(result) };
      run.highWaterMarks = Object.keys(marks).length > 0 ? marks : null;
      run.counts = stored.counts;
      run.changes = stored.changes;
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
        // Reading records with modifiedAfter = checkpoint returns what this run changed, and anything since.
        const checkpoint = new Date(run.startedAt!.getTime() - 1).toISOString();
        await this.history.record(tx, current, 'integration.sync.completed', 'system', {
          syncRunId: run.id,
          records: run.counts,
          changes: run.changes,
          checkpoint,
        });
      } else {
        await this.history.record(tx, current, 'integration.sync.failed', 'system', { syncRunId: run.id, error: { message: run.error } });
      }
    });
  }

  /** Where the last successful run left each incremental model; a full run starts them again. */
  private async lastHighWaterMarks(em: EntityManager, integrationId: string): Promise<Record<string, string>> {
    const last = await em.findOne(SyncRun, { integrationId, status: 'succeeded' }, { orderBy: { finishedAt: 'desc' }, fields: ['highWaterMarks'] });
    return last?.highWaterMarks ?? {};
  }

  /** A new run, or the connection's run that is already queued or running (one at a time). */
  private async createRun(integration: Integration, trigger: SyncRun['trigger'], full = false): Promise<SyncRun> {
    const em = this.em.fork();
    const active = () => em.findOne(SyncRun, { integrationId: integration.id, status: { $in: ['queued', 'running'] } });
    const existing = await active();
    if (existing) return existing;
    const run = em.create(SyncRun, { integrationId: integration.id, accountId: integration.accountId, livemode: integration.livemode, trigger, full });
    try {
      await em.flush();
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      em.clear();
      return (await active()) ?? this.createRun(integration, trigger, full); // the other run ended meanwhile
    }
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

  /**
   * Writes the records by external id in batches (only added and changed ones), then marks deleted what
   * the provider said it deleted and, for each returned model synced in full, the records it did not
   * see. Returns what was seen and changed per model.
   */
  private async store(
    integrationId: string,
    syncRunId: string,
    { records = {}, deleted = {} }: SyncResult,
    syncedInFull: (model: string) => boolean,
  ): Promise<{ counts: Record<string, number>; changes: Record<string, RecordChanges> }> {
    const counts: Record<string, number> = {};
    const changes: Record<string, RecordChanges> = {};
    for (const [model, items] of Object.entries(records)) {
      const valid = items.filter((item) => item && isRecordId(item.id));
      counts[model] = valid.length;
      const total: RecordChanges = { added: 0, updated: 0, deleted: 0 };
      for (let offset = 0; offset < valid.length; offset += RECORD_BATCH) {
        const batch = valid.slice(offset, offset + RECORD_BATCH).map((item) => ({ externalId: String(item.id), data: item }));
        const written = await this.storedRecords.write(integrationId, model, syncRunId, batch);
        total.added += written.added;
        total.updated += written.updated;
      }
      if (syncedInFull(model))
        total.deleted = await this.storedRecords.markUnseenDeleted(
          integrationId,
          model,
          valid.map((item) => String(item.id)),
        );
      changes[model] = total;
    }
    for (const [model, ids] of Object.entries(deleted)) {
      const externalIds = Array.isArray(ids) ? ids.filter(isRecordId).map(String) : [];
      if (externalIds.length === 0) continue;
      counts[model] ??= 0;
      changes[model] ??= { added: 0, updated: 0, deleted: 0 };
      for (let offset = 0; offset < externalIds.length; offset += RECORD_BATCH)
        changes[model].deleted += await this.storedRecords.markDeleted(integrationId, model, externalIds.slice(offset, offset + RECORD_BATCH));
    }
    return { counts, changes };
  }

  private async startDueAutoSyncs(): Promise<number> {
    const em = this.em.fork();
    const due = await em.find(Integration, { autoSync: true, status: 'connected', nextSyncAt: { $lte: new Date() } }, { limit: 500 });
    let started = 0;
    for (const integration of due) {
      const provider = this.integrations.findProvider(integration.provider);
      const frequency = integration.syncFrequency ?? provider?.sync?.defaultFrequency ?? DEFAULT_FREQUENCY;
      integration.nextSyncAt = new Date(Date.now() + parseDuration(frequency));
      // A paused provider's turn passes; its next one comes at the usual frequency.
      if (!provider?.sync || !(await this.gate.allows(integration, integration.provider))) continue;
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

const MAX_MARK_LENGTH = 1000;

const isRecordId = (id: unknown): id is string | number => typeof id === 'string' || typeof id === 'number';

/** The plugin's marks that are bounded strings: what a plugin returns is not trusted. */
function highWaterMarksOf(result: SyncResult | null): Record<string, string> {
  const marks: Record<string, string> = {};
  const returned = result?.highWaterMarks;
  if (!returned || typeof returned !== 'object') return marks;
  for (const [model, mark] of Object.entries(returned).slice(0, 100)) {
    if (typeof mark === 'string' && mark.length <= MAX_MARK_LENGTH && model.length <= 100) marks[model] = mark;
  }
  return marks;
}

function toRunDto(run: SyncRun): SyncRunDto {
  return {
    id: run.id,
    status: run.status,
    trigger: run.trigger,
    full: run.full,
    counts: run.counts,
    changes: run.changes ?? null,
    highWaterMarks: run.highWaterMarks ?? null,
    error: run.error ?? null,
    startedAt: run.startedAt ?? null,
    finishedAt: run.finishedAt ?? null,
    durationMs: run.durationMs ?? null,
    createdAt: run.createdAt,
  };
}
