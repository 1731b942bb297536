/**
 * The plugins module's public surface: the registry of loaded providers and the runner that calls
 * them (contract at the top of runner/plugin-runner.ts), the HTTP client plugins' requests go through,
 * and what the plugin CLI builds on (loading, validating, signing and packing plugins).
 */
export { PluginsModule } from './plugins.module.js';
export { PluginsService } from './plugins.service.js';
export { type PluginRecord, PluginRegistry, type RegisteredProvider } from './plugin-registry.js';
export { type CallContext, type CallKind, PluginLoadError, PluginRunner, type ProviderCall } from './runner/plugin-runner.js';
export { ProviderHttp } from './runner/provider-http.js';
export { BudgetExhaustedError } from './runner/provider-budgets.js';
export { PluginLoader } from './plugin-loader.js';
export type { PluginDto } from './dto/plugin.dto.js';
export { integrityOf, packPlugin, UnsafeArchiveError } from './packaging/plugin-archive.js';
export { InvalidPluginError, isCompatible, readManifest, validateDescription } from './plugin-manifest.js';
export { describeInChildProcess } from './runner/child-process-runner.js';
export { signPlugin, SigningError, verifyPlugin } from './signing/plugin-signature.js';
