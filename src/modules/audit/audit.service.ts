import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { actorOf, AccountCaller, Caller } from '../../core/auth/caller.js';
import { afterCursor, NEWEST_FIRST, Page, toPage } from '../../core/http/pagination.js';
import { AuditLogQuery, AuditEntryDto } from './dto/audit.dto.js';
import { AuditEntry } from './entities/audit-entry.entity.js';

export interface AuditRecord {
  action: string;
  /** The account acted on, when it is not the caller's own (instance administrators). */
  accountId?: string;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
}

/** Who did what, when, from which member or key. Entries join the caller's unit of work. */
@Injectable()
export class AuditService {
  constructor(private readonly em: EntityManager) {}

  /** Persists an entry in the given unit of work; it is written by that unit's flush. */
  record(em: EntityManager, caller: Caller | 'system', record: AuditRecord, requestId?: string): void {
    const actor = caller === 'system' ? { actorType: 'system' as const, actorId: 'plugboard' } : actorOf(caller);
    em.persist(
      em.create(AuditEntry, {
        accountId: record.accountId ?? (caller === 'system' ? null : (caller.accountId ?? null)),
        livemode: caller === 'system' || !caller.accountId ? null : caller.livemode,
        action: record.action,
        targetType: record.targetType ?? null,
        targetId: record.targetId ?? null,
        details: record.details ?? null,
        requestId: requestId ?? null,
        ...actor,
        createdAt: new Date(),
      }),
    );
  }

  /** For an account event without a caller (system transitions); written by the given unit of work. */
  recordForAccount(em: EntityManager, accountId: string, record: AuditRecord): void {
    em.persist(
      em.create(AuditEntry, {
        accountId,
        action: record.action,
        actorType: 'system',
        actorId: 'plugboard',
        targetType: record.targetType ?? null,
        targetId: record.targetId ?? null,
        details: record.details ?? null,
        createdAt: new Date(),
      }),
    );
  }

  async list(caller: AccountCaller, query: AuditLogQuery): Promise<Page<AuditEntryDto>> {
    const rows = await this.em.find(
      AuditEntry,
      {
        accountId: caller.accountId,
        // A key sees only its own mode's entries; members see the whole account's history.
        ...(caller.kind === 'api_key' ? { livemode: caller.livemode } : {}),
        ...(query.action ? { action: query.action } : {}),
        ...(query.since ? { createdAt: { $gte: query.since } } : {}),
        ...afterCursor(query.cursor),
      },
      { orderBy: NEWEST_FIRST, limit: query.limit + 1 },
    );
    return toPage(rows, query.limit, AuditEntryDto.from);
  }
}
