/** The permission catalog and the built-in roles of the API contract. */
export const PERMISSIONS = [
  'integrations.view',
  'integrations.manage',
  'connections.manage',
  'webhooks.view',
  'webhooks.manage',
  'api_keys.view',
  'api_keys.manage',
  'events.view',
  'events.publish',
  'members.view',
  'members.manage',
  'roles.manage',
  'account.view',
  'audit.view',
  'sso.exchange',
  'mcp.use',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const PERMISSION_DESCRIPTIONS: Record<Permission, string> = {
  'integrations.view': 'See providers, integrations, their status, syncs and records',
  'integrations.manage': "Connect, configure, sync, run actions on and disconnect the account's connections (and see members' own)",
  'connections.manage': "Create, use and disconnect end users' connections (the host platform's own users), and open connect sessions for them",
  'webhooks.view': 'See webhook endpoints and delivery logs',
  'webhooks.manage': 'Create, change, test, replay and delete webhook endpoints',
  'api_keys.view': 'See API keys (never their secrets)',
  'api_keys.manage': 'Create, roll and revoke API keys',
  'events.view': 'See the event catalog and published events',
  'events.publish': 'Publish events',
  'members.view': 'See the account members',
  'members.manage': 'Add, change and remove members',
  'roles.manage': 'See and define custom roles',
  'account.view': 'See the account and its plan',
  'audit.view': 'Read the audit log',
  'sso.exchange':
    "Redeem single sign-on codes for the signed-in identity (POST /v1/sso/token), adding the member when the SSO integration's provisioning says so",
  'mcp.use':
    "Connect an AI agent to the MCP server at /mcp: its tools are the actions of the connections the caller may use, each call checked, limited and audited as the REST route's",
};

export interface BuiltInRole {
  key: string;
  name: string;
  permissions: readonly Permission[];
}

export const OWNER_ROLE = 'owner';

export const BUILT_IN_ROLES: readonly BuiltInRole[] = [
  { key: OWNER_ROLE, name: 'Owner', permissions: PERMISSIONS },
  { key: 'admin', name: 'Admin', permissions: PERMISSIONS },
  {
    key: 'developer',
    name: 'Developer',
    permissions: [
      'integrations.view',
      'webhooks.view',
      'webhooks.manage',
      'api_keys.view',
      'api_keys.manage',
      'events.view',
      'events.publish',
      'account.view',
      'mcp.use',
    ],
  },
  { key: 'host', name: 'Host', permissions: ['account.view', 'events.view'] },
];

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

export function builtInRole(key: string): BuiltInRole | undefined {
  return BUILT_IN_ROLES.find((role) => role.key === key);
}
