import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** How the hosted connect page looks for an account's end users: one row per account, both modes. */
@Entity({ tableName: 'connect_brandings' })
export class ConnectBranding {
  @PrimaryKey({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'text', nullable: true })
  name?: string | null;

  /** A data: URL (PNG, JPEG or WebP): the page's CSP loads images from itself and data: alone. */
  @Property({ type: 'text', nullable: true })
  logo?: string | null;

  @Property({ type: 'text', nullable: true })
  primaryColor?: string | null;

  @Property({ type: 'text', nullable: true })
  accentColor?: string | null;

  @Property({ type: 'datetime' })
  updatedAt: Opt<Date> = new Date();
}
