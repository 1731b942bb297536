import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * The instance's decisions about one plugin, shared by every replica: a plugin installed through
 * Plugboard (its archive kept here, so a replica unpacks the same bytes at start-up) or a bundled or
 * directory plugin an administrator disabled (no archive).
 */
@Entity({ tableName: 'plugin_installations' })
export class PluginInstallation {
  @PrimaryKey({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  version!: string;

  /** What the administrator asked for: `name@version`, a URL or a path; null for a toggle only. */
  @Property({ type: 'text', nullable: true })
  source?: string | null;

  @Property({ type: 'text', nullable: true })
  integrity?: string | null;

  @Property({ type: 'blob', nullable: true, lazy: true })
  archive?: Buffer | null;

  @Property({ type: 'boolean' })
  enabled: Opt<boolean> = true;

  /** Provider ids when last loaded, to list a disabled plugin's providers. */
  @Property({ type: 'jsonb' })
  providers: Opt<string[]> = [];

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}
