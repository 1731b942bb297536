import { Injectable } from '@nestjs/common';
import { type Page, type PageQuery, pageArray } from '../../../core/http/pagination.js';
import type { MarketplaceEntryDto } from '../dto/plugin.dto.js';
import { isCompatible } from '../plugin-manifest.js';
import { PluginRegistry } from '../plugin-registry.js';
import { MarketplaceService } from './marketplace.service.js';

/** `GET /v1/marketplace`: the catalog as this instance sees it. */
@Injectable()
export class MarketplaceCatalog {
  constructor(
    private readonly marketplace: MarketplaceService,
    private readonly registry: PluginRegistry,
  ) {}

  async list(query: PageQuery): Promise<Page<MarketplaceEntryDto>> {
    const entries = await this.marketplace.entries();
    return pageArray(
      entries.map(({ tarball: _tarball, ...entry }) => ({
        ...entry,
        compatible: isCompatible(entry.apiVersion),
        installed: this.registry.get(entry.name)?.version ?? null,
      })),
      query,
    );
  }
}
