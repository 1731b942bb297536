import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import { CredentialKeyring } from './keyring.js';

/** A text column holding keyring ciphertexts, with the context each row's value was sealed with. */
export interface EncryptedColumn {
  table: string;
  column: string;
  /** The encryption context of a row, from its id (e.g. `integration:<id>`). */
  context: (id: string) => string;
}

export interface RotationReport {
  table: string;
  column: string;
  reEncrypted: number;
}

const BATCH = 200;

/**
 * Re-encrypts every registered column to the primary key while the service keeps running: each value
 * is replaced only if it is unchanged since it was read (compare-and-set), so a concurrent write wins.
 */
@Injectable()
export class KeyRotationService {
  private readonly logger = new Logger(KeyRotationService.name);
  private readonly columns: EncryptedColumn[] = [];

  constructor(
    private readonly em: EntityManager,
    private readonly keyring: CredentialKeyring,
  ) {}

  register(column: EncryptedColumn): void {
    this.columns.push(column);
  }

  async rotateAll(): Promise<RotationReport[]> {
    const reports: RotationReport[] = [];
    for (const column of this.columns) reports.push(await this.rotate(column));
    return reports;
  }

  private async rotate({ table, column, context }: EncryptedColumn): Promise<RotationReport> {
    const connection = this.em.getConnection();
    const primary = `v1.${this.keyring.primaryId}.%`;
    let reEncrypted = 0;
    let after = '';
    for (;;) {
      const rows = await connection.execute<{ id: string; value: string }[]>(
        `select id::text as id, "${column}" as value from "${table}" where "${column}" is not null and "${column}" not like ? and id::text > ? order by id::text limit ${BATCH}`,
        [primary, after],
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        const sealed = this.keyring.encrypt(this.keyring.decrypt(row.value, context(row.id)), context(row.id));
        const result = await connection.execute(
          `update "${table}" set "${column}" = ? where id::text = ? and "${column}" = ?`,
          [sealed, row.id, row.value],
          'run',
        );
        reEncrypted += (result as { affectedRows?: number }).affectedRows ?? 0;
      }
      after = rows[rows.length - 1].id;
    }
    this.logger.log(`${table}.${column}: ${reEncrypted} value(s) re-encrypted to key ${this.keyring.primaryId}`);
    return { table, column, reEncrypted };
  }
}
