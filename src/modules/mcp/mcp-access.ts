import { Injectable } from '@nestjs/common';
import type { AccountCaller } from '../../core/auth/caller.js';
import { AppError } from '../../core/errors/app-errors.js';
import { ApiKeysService } from '../api-keys/index.js';
import { FeatureFlagsService } from '../onboarding/index.js';

/** The feature flag that switches MCP off for an account (`config/onboarding.yaml`); undeclared, MCP is on. */
export const MCP_FLAG = 'agents.mcp';

export class McpDisabledError extends AppError {
  constructor() {
    super('mcp_disabled', 403, `AI agent access (MCP) is switched off for this account: the "${MCP_FLAG}" feature flag is off`);
  }
}

/** Whether a caller may use MCP now, beyond its `mcp.use` permission: the account's switch, and its key still working. */
@Injectable()
export class McpAccess {
  constructor(
    private readonly flags: FeatureFlagsService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  async assertEnabled(caller: AccountCaller): Promise<void> {
    const { values } = await this.flags.evaluate(caller, MCP_FLAG);
    if (values[MCP_FLAG] === false) throw new McpDisabledError();
  }

  /** For a stream opened earlier: the account still allows MCP and the caller's key is neither revoked nor expired. */
  async stillAllowed(caller: AccountCaller): Promise<boolean> {
    if (caller.kind === 'api_key' && !(await this.apiKeys.isActive(caller.apiKeyId!))) return false;
    try {
      await this.assertEnabled(caller);
      return true;
    } catch (error) {
      if (error instanceof McpDisabledError) return false;
      throw error;
    }
  }
}
