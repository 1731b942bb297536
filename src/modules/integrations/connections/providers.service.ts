import { subject } from '@casl/ability';
import { gzipSync } from 'node:zlib';
import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { AccountCaller } from '../../../core/auth/caller.js';
import { NotFoundError } from '../../../core/errors/app-errors.js';
import { pageArray } from '../../../core/http/pagination.js';
import { PluginRegistry, type RegisteredProvider } from '../../plugins/index.js';
import { AccessService, PLAN_REASON } from '../../rbac/index.js';
import { ListProvidersQuery, ProviderDto } from '../dto/provider.dto.js';

type Ability = Awaited<ReturnType<AccessService['context']>>['ability'];

const byName = new Intl.Collator('en');

/** Pages kept as sent: a few per category and plan, so a bound keeps odd cursors from crowding memory. */
const KEPT_PAGES = 32;

/** A page of the catalogue as sent: UTF-8 JSON, and gzip of it made the first time a client accepts that. */
export class CataloguePage {
  private compressed?: Buffer;

  constructor(readonly json: Buffer) {}

  get gzip(): Buffer {
    return (this.compressed ??= gzipSync(this.json));
  }
}

/** The catalog of providers from loaded plugins, each with whether the caller's plan allows it. */
@Injectable()
export class ProvidersService {
  /**
   * Each provider's summary but the plan's verdict, as JSON without its closing brace: written once per
   * loaded definition. The catalogue is large (the schemas of every action's input) and the same for
   * every caller, so a page is these texts joined, each closed by its verdict for the caller.
   */
  private readonly serialized = new WeakMap<RegisteredProvider, string>();
  /**
   * Whole pages as sent (UTF-8 JSON), by the page asked for and the plan's verdicts: every caller whose
   * plan says the same gets the same bytes. Joining and encoding a page of 50 (over 200 KB) was two
   * thirds of the route's CPU. Dropped whenever the loaded plugins change.
   */
  private readonly pages = new LRUCache<string, CataloguePage>({ max: KEPT_PAGES });
  /** The loaded providers in the catalogue's order, by category and name. */
  private sorted?: RegisteredProvider[];
  /**
   * Each kept ability's plan verdicts on the loaded categories: a map of JSON texts, and all of them as
   * one key. Abilities are shared, and dropped when unused; the verdicts, when the plugins change.
   */
  private verdicts = new WeakMap<Ability, { byCategory: Map<string, string>; key: string }>();

  constructor(
    private readonly registry: PluginRegistry,
    private readonly access: AccessService,
  ) {
    registry.onChange(() => {
      this.pages.clear();
      this.sorted = undefined;
      this.verdicts = new WeakMap();
    });
  }

  /** A page of the catalogue (a `Page<ProviderSummaryDto>`). */
  async list(caller: AccountCaller, query: ListProvidersQuery): Promise<CataloguePage> {
    const verdicts = this.verdictsOf((await this.access.context(caller)).ability);
    // The array's JSON ends where its brackets close, so the verdicts may follow it as they are.
    const key = JSON.stringify([query.category, query.cursor, query.limit]) + verdicts.key;
    let sent = this.pages.get(key);
    if (!sent) {
      const page = pageArray(query.category ? this.catalogue().filter((provider) => provider.category === query.category) : this.catalogue(), query);
      const data = page.data.map((provider) => `${this.serializedOf(provider)},"plan":${verdicts.byCategory.get(provider.category)}}`);
      sent = new CataloguePage(Buffer.from(`{"data":[${data.join(',')}],"nextCursor":${JSON.stringify(page.nextCursor)}}`));
      this.pages.set(key, sent);
    }
    return sent;
  }

  async get(caller: AccountCaller, providerId: string): Promise<ProviderDto> {
    const provider = this.registry.provider(providerId);
    if (!provider) throw new NotFoundError('Provider');
    return { ...describe(provider, true), plan: planVerdict(provider, (await this.access.context(caller)).ability) };
  }

  private catalogue(): RegisteredProvider[] {
    return (this.sorted ??= this.registry.providers().sort((a, b) => byName.compare(a.category, b.category) || byName.compare(a.name, b.name)));
  }

  private verdictsOf(ability: Ability): { byCategory: Map<string, string>; key: string } {
    let verdicts = this.verdicts.get(ability);
    if (!verdicts) {
      const byCategory = new Map<string, string>();
      for (const provider of this.catalogue()) {
        if (!byCategory.has(provider.category)) byCategory.set(provider.category, JSON.stringify(planVerdict(provider, ability)));
      }
      this.verdicts.set(ability, (verdicts = { byCategory, key: [...byCategory.values()].join() }));
    }
    return verdicts;
  }

  private serializedOf(provider: RegisteredProvider): string {
    let text = this.serialized.get(provider);
    if (text === undefined) {
      text = JSON.stringify(describe(provider, false)).slice(0, -1);
      this.serialized.set(provider, text);
    }
    return text;
  }
}

/** The plan's verdict alone (the caller's role is a separate matter): is a plan rule in the way? */
function planVerdict(provider: RegisteredProvider, ability: Ability): ProviderDto['plan'] {
  const rule = ability.relevantRuleFor('connect', subject('Integration', { category: provider.category, counted: false }));
  const reason = rule?.inverted && rule.reason?.startsWith(PLAN_REASON) ? rule.reason.slice(PLAN_REASON.length) : undefined;
  return { allowed: reason === undefined, ...(reason ? { reason: reason.charAt(0).toUpperCase() + reason.slice(1) } : {}) };
}

/**
 * The provider's answer but the plan's verdict. The catalogue lists its actions without their output
 * schemas (`withOutputSchemas` false); the provider's own answer has them where they are declared.
 */
function describe(provider: RegisteredProvider, withOutputSchemas: boolean): Omit<ProviderDto, 'plan'> {
  return {
    id: provider.id,
    name: provider.name,
    category: provider.category,
    description: provider.description,
    authType: provider.auth.type,
    credentialsSchema: 'credentialsSchema' in provider.auth ? provider.auth.credentialsSchema : null,
    settingsSchema: provider.settingsSchema ?? null,
    connectionInputs: provider.connectionInputs ?? null,
    actions: provider.actions.map(({ name, description, inputSchema, outputSchema }) => ({
      name,
      description,
      inputSchema,
      ...(withOutputSchemas && outputSchema ? { outputSchema } : {}),
    })),
    sync: provider.sync !== null,
    webhooks: provider.webhook,
    plugin: provider.plugin,
  };
}
