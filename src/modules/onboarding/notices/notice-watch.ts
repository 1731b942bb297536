import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { MaintenanceScheduler } from '../../../core/queue/maintenance.js';
import { EventsService, type StoredEvent } from '../../events/index.js';
import { ConnectionDirectory, type ConnectionFacts } from '../../integrations/index.js';
import { NoticeSignal } from '../entities/notice-signal.entity.js';
import { NoticeSyncStreak } from '../entities/notice-sync-streak.entity.js';
import { Notice, type NoticeResolution } from '../entities/notice.entity.js';
import { OnboardingCatalog } from '../template/onboarding-catalog.js';
import type { NoticeCause } from '../template/onboarding-template.js';
import { NoticeLedger, type NoticeSubject } from './notice-ledger.js';
import { errorMessage, expiredMessage, syncFailingMessage, tokenExpiringMessage } from './notice-text.js';

/** The connection events that open or close notices. */
const WATCHED = [
  'integration.expired',
  'integration.error',
  'integration.connected',
  'integration.disconnected',
  'integration.sync.failed',
  'integration.sync.completed',
] as const;
const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const SIGNAL_BATCH = 200;
const OPEN_BATCH = 1000;

/** The same signal rows for events published in one statement (`published`); Plugboard publishes these types only through publish(em, …). */
const FAN_OUT_STATEMENT = `
  insert into notice_signals (id, account_id, livemode, event_id, event_type, connection_id, provider, details, created_at)
  select gen_random_uuid(), p.account_id, p.livemode, p.id, p.type, coalesce(p.data->>'connectionId', p.data->>'integrationId')::uuid, p.data->>'provider', p.data, p.created_at
    from published p
   where p.type in (${WATCHED.map((type) => `'${type}'`).join(', ')})
     and coalesce(p.data->>'owner', 'account') = 'account'
     and coalesce(p.data->>'connectionId', p.data->>'integrationId') ~ '${UUID}'
     and p.data->>'provider' is not null
  returning id`;

/**
 * Watches the account's shared connections for trouble. Their events leave a signal row in the same
 * transaction as the change (so a notice never holds up, nor is lost by, the change that caused it);
 * a once-per-cluster task turns signals into notices, in order per connection. Another task finds
 * tokens that nothing can refresh and expire soon, and notices whose cause has gone (a health check
 * that passed, a token renewed).
 */
@Injectable()
export class NoticeWatch implements OnModuleInit {
  private readonly logger = new Logger(NoticeWatch.name);

  constructor(
    private readonly em: EntityManager,
    private readonly events: EventsService,
    private readonly maintenance: MaintenanceScheduler,
    private readonly catalog: OnboardingCatalog,
    private readonly connections: ConnectionDirectory,
    private readonly ledger: NoticeLedger,
  ) {}

  onModuleInit(): void {
    this.events.registerFanOut({
      inUnitOfWork: (em, event) => Promise.resolve(this.signal(em, event)),
      statement: { text: FAN_OUT_STATEMENT, params: [] },
      afterCommit: () => Promise.resolve(),
    });
    this.maintenance.register({ name: 'notices.signals', everyMs: 2000, run: () => this.processSignals() });
    this.maintenance.register({ name: 'notices.scan', everyMs: 5 * 60_000, run: () => this.scan() });
  }

  /** Handles waiting signals, oldest first; returns how many it handled. */
  async processSignals(): Promise<number> {
    const batch = await this.em.fork().find(NoticeSignal, {}, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: SIGNAL_BATCH });
    let handled = 0;
    for (const signal of batch) {
      try {
        if (await this.handle(signal)) handled++;
      } catch (error) {
        this.logger.error(
          { err: error, signalId: signal.id, connectionId: signal.connectionId },
          'a connection event could not be turned into notices; retrying',
        );
      }
    }
    return handled;
  }

  /**
   * Opens notices for tokens nothing can refresh that expire within the warning time, and closes the
   * open notices whose cause is gone. Returns how many notices it opened and closed.
   */
  async scan(): Promise<{ opened: number; closed: number }> {
    const soon = new Date(Date.now() + this.catalog.template.notices.tokenExpiryWarningMs);
    let opened = 0;
    for (const facts of await this.connections.expiringUnrefreshable(soon)) {
      if (!facts.tokenExpiresAt) continue;
      const message = tokenExpiringMessage({ name: this.catalog.name(facts.provider), tokenExpiresAt: facts.tokenExpiresAt });
      const notice = await this.withConnection(facts.id, (em) =>
        this.ledger.open(em, subjectOf(facts), 'token_expiring', facts.tokenExpiresAt!.toISOString(), message),
      );
      if (notice) opened++;
    }
    let closed = 0;
    const open = await this.em.fork().find(Notice, { status: 'open' }, { orderBy: { createdAt: 'asc' }, limit: OPEN_BATCH, fields: ['id', 'connectionId'] });
    const facts = await this.connections.byIds(open.map((notice) => notice.connectionId));
    for (const { id, connectionId } of open) {
      const done = await this.withConnection(connectionId, async (em) => {
        const notice = await em.findOne(Notice, { id, status: 'open' });
        const resolution = notice && resolutionOf(notice, facts.get(connectionId), soon);
        if (!notice || !resolution) return false;
        await this.ledger.close(em, notice, resolution);
        return true;
      });
      if (done) closed++;
    }
    return { opened, closed };
  }

  private signal(em: EntityManager, event: StoredEvent): void {
    if (!(WATCHED as readonly string[]).includes(event.type)) return;
    const data = event.data;
    const connectionId = data.connectionId ?? data.integrationId;
    if ((data.owner ?? 'account') !== 'account' || typeof connectionId !== 'string' || !new RegExp(UUID).test(connectionId)) return;
    if (typeof data.provider !== 'string') return;
    em.create(NoticeSignal, {
      accountId: event.accountId,
      livemode: event.livemode,
      eventId: event.id,
      eventType: event.type,
      connectionId,
      provider: data.provider,
      details: data,
      createdAt: event.createdAt,
    });
  }

  /** One signal, under its connection's lock, after every older signal of the connection. */
  private async handle(signal: NoticeSignal): Promise<boolean> {
    return this.withConnection(signal.connectionId, async (em) => {
      const claimed = await em.execute<{ id: string }[]>(`select id from notice_signals where id = ? for update skip locked`, [signal.id]);
      if (claimed.length === 0) return false;
      const older = await em.count(NoticeSignal, {
        connectionId: signal.connectionId,
        $or: [{ createdAt: { $lt: signal.createdAt } }, { createdAt: signal.createdAt, id: { $lt: signal.id } }],
      });
      if (older > 0) return false;
      await this.apply(em, signal);
      await em.nativeDelete(NoticeSignal, { id: signal.id });
      return true;
    });
  }

  private async apply(em: EntityManager, signal: NoticeSignal): Promise<void> {
    const facts = (await this.connections.byIds([signal.connectionId])).get(signal.connectionId);
    const subject: NoticeSubject = {
      connectionId: signal.connectionId,
      accountId: signal.accountId,
      livemode: signal.livemode,
      provider: signal.provider,
      ...(typeof signal.details.category === 'string' ? { category: signal.details.category } : {}),
    };
    const name = this.catalog.name(signal.provider);
    const said = errorText(signal.details.error);
    switch (signal.eventType) {
      case 'integration.expired':
        await this.closeOpen(em, signal.connectionId, ['token_expiring'], 'superseded');
        await this.ledger.open(em, subject, 'expired', signal.eventId, expiredMessage({ name, lastError: facts?.lastError }));
        return;
      case 'integration.error':
        await this.ledger.open(em, subject, 'error', signal.eventId, errorMessage({ name, lastError: facts?.lastError, errorMessage: said }));
        return;
      case 'integration.sync.failed': {
        const streak =
          (await em.findOne(NoticeSyncStreak, { connectionId: signal.connectionId })) ?? em.create(NoticeSyncStreak, { connectionId: signal.connectionId });
        streak.failures += 1;
        streak.lastError = said ?? null;
        if (streak.failures === this.catalog.template.notices.syncFailures) {
          await this.ledger.open(em, subject, 'sync_failing', signal.eventId, syncFailingMessage({ name, syncFailures: streak.failures, errorMessage: said }));
        }
        return;
      }
      case 'integration.sync.completed':
        await em.nativeDelete(NoticeSyncStreak, { connectionId: signal.connectionId });
        await this.closeOpen(em, signal.connectionId, ['sync_failing'], 'sync_succeeded');
        return;
      case 'integration.connected':
        await this.closeOpen(em, signal.connectionId, ['expired', 'error', 'token_expiring'], 'reconnected');
        return;
      case 'integration.disconnected':
        await em.nativeDelete(NoticeSyncStreak, { connectionId: signal.connectionId });
        await this.closeOpen(em, signal.connectionId, ['expired', 'error', 'token_expiring', 'sync_failing'], 'disconnected');
        return;
      default:
        return;
    }
  }

  private async closeOpen(em: EntityManager, connectionId: string, causes: NoticeCause[], resolution: NoticeResolution): Promise<void> {
    for (const notice of await em.find(Notice, { connectionId, status: 'open', cause: { $in: causes } })) await this.ledger.close(em, notice, resolution);
  }

  /** Work on a connection's notices in a transaction holding its lock: one change at a time per connection, across processes. */
  withConnection<T>(connectionId: string, work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.em.fork().transactional(async (em) => {
      await em.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`notices:${connectionId}`]);
      return work(em);
    });
  }
}

/** Why an open notice no longer holds, judged from the connection as it is now; undefined while it does. */
export function resolutionOf(notice: Pick<Notice, 'cause' | 'episode'>, facts: ConnectionFacts | undefined, soon: Date): NoticeResolution | undefined {
  if (!facts || facts.status === 'disconnected') return 'disconnected';
  switch (notice.cause) {
    case 'expired':
    case 'error':
      return facts.status === 'connected' ? 'recovered' : undefined;
    case 'token_expiring':
      if (facts.status !== 'connected') return undefined;
      return !facts.tokenExpiresAt || (facts.tokenExpiresAt.toISOString() !== notice.episode && facts.tokenExpiresAt >= soon) ? 'token_renewed' : undefined;
    default:
      return undefined;
  }
}

function subjectOf(facts: ConnectionFacts): NoticeSubject {
  return { connectionId: facts.id, accountId: facts.accountId, livemode: facts.livemode, provider: facts.provider, category: facts.category };
}

function errorText(error: unknown): string | undefined {
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && message.length > 0 ? message.slice(0, 500) : undefined;
}
