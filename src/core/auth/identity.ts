/** What a member's user id (a JWT's `sub`, a membership's `userId`) may look like. */
export const USER_ID = /^[\w.@:|+-]{1,200}$/;

/** Who presented the credentials, before roles and plans are applied. */
export type Identity = MemberIdentity | ApiKeyIdentity;

export interface MemberIdentity {
  kind: 'member';
  userId: string;
  accountId?: string;
  instanceAdmin: boolean;
}

export interface ApiKeyIdentity {
  kind: 'api_key';
  apiKeyId: string;
  accountId: string;
  livemode: boolean;
  permissions: string[];
  /** The account's plan, verified and cached with the key, so a key request needs no account lookup. */
  plan: string;
  /** The MCP tools the key may call (names, or prefixes ending in `*`); absent: all its permissions allow. */
  mcpTools?: string[];
}
