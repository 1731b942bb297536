/** The integrations module's public surface: its Nest module, and what modules above it may read of connections. */
export { IntegrationsModule } from './integrations.module.js';
export { ConnectedIntegrations, type OpenedConnection } from './connections/connected-integrations.js';
export type { SettingsChange, SettingsGuard } from './connections/settings-guards.js';
export { CallerConnections, type UsableAction, type UsableConnection } from './connections/caller-connections.js';
export { ConnectionDirectory, type ConnectionFacts } from './connections/connection-directory.js';
export { AutomationGate, type AutomationCheck } from './sync/automation-gate.js';
export type { IntegrationStatus } from './entities/integration.entity.js';
