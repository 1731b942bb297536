/**
 * Plugboard plugin SDK 1.1 (`plugboard/sdk`): the contract (types, `definePlugin`, errors), the
 * declarative parts and code helpers, and reading large files in chunks (`readInChunks`). Imports only
 * itself and Node, so the plugin host can load it in a sandboxed child process as it is.
 */
export * from './contract.js';
export * from './declarative.js';
export * from './transfer.js';
