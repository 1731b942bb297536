import { Injectable } from '@nestjs/common';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FieldError } from '../../core/errors/app-errors.js';
import type { PluginLocation, ProviderDescription } from './runtime/description.js';

export type PluginState = 'loaded' | 'failed' | 'disabled';
export type SignatureStatus = 'verified' | 'unsigned' | 'invalid';
/** Where a plugin came from: the repository's plugins/, a PLUGINS_DIR, or an install through Plugboard. */
export type PluginSource = 'bundled' | 'directory' | 'installed';

export interface PluginRecord {
  name: string;
  version: string;
  state: PluginState;
  error?: string;
  /** Provider ids: those it provides when loaded, those it declared (or was installed with) otherwise. */
  providers: string[];
  signature: SignatureStatus;
  publisher?: string;
  source: PluginSource;
  /** The plugin's directory; absent for an installed plugin not (yet) unpacked on this replica. */
  dir?: string;
  entry?: string;
  /** The host process group its code runs in (see hostGroup). */
  host?: string;
}

/**
 * Which plugins share a host process: the repository's plugins together (`bundled`), each verified
 * publisher's apart (`publisher:<name>`), every other plugin alone (`plugin:<name>`). With several
 * hosts per publisher, a plugin always lands in the same one (`#<n>`).
 */
export function hostGroup(plugin: { name: string; source: PluginSource; signature: SignatureStatus; publisher?: string }, hostsPerPublisher: number): string {
  const group = plugin.source === 'bundled' ? 'bundled' : plugin.signature === 'verified' && plugin.publisher ? `publisher:${plugin.publisher}` : undefined;
  if (!group) return `plugin:${plugin.name}`;
  if (hostsPerPublisher <= 1) return group;
  let hash = 0;
  for (const char of plugin.name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `${group}#${hash % hostsPerPublisher}`;
}

/** A loaded provider as the rest of Plugboard sees it: its definition's data plus its plugin. */
export interface RegisteredProvider extends ProviderDescription {
  plugin: { name: string; version: string };
}

export type SchemaKind = 'credentials' | 'settings' | 'inputs' | 'action';

interface ProviderEntry {
  provider: RegisteredProvider;
  /** Compiled on first use: loading fifty providers compiles nothing. */
  validators?: Map<string, ValidateFunction>;
}

/**
 * A compiler for the JSON Schemas plugins declare: draft-07 keywords, formats, and `secret`. With
 * `checked`, schemas are not validated against the meta-schema again (they were when their plugin
 * loaded), which spares compiling the meta-schema in every compiler.
 */
export function createSchemaCompiler(options: { checked?: boolean } = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: !options.checked });
  addFormats.default(ajv);
  ajv.addKeyword({ keyword: 'secret', schemaType: 'boolean' });
  return ajv;
}

/**
 * The state of every plugin this process knows, in load order, and the providers of the loaded ones.
 * It holds no plugin code: calls go through the PluginRunner. Listeners hear about every change
 * (OpenAPI components, caches of the integrations module).
 */
@Injectable()
export class PluginRegistry {
  private records: PluginRecord[] = [];
  private readonly providersById = new Map<string, ProviderEntry>();
  private readonly listeners: Array<() => void> = [];

  list(): PluginRecord[] {
    return this.records.map((record) => ({ ...record, providers: [...record.providers] }));
  }

  get(name: string): PluginRecord | undefined {
    const record = this.records.find((candidate) => candidate.name === name);
    return record && { ...record };
  }

  /** Loaded providers, in plugin load order. */
  providers(): RegisteredProvider[] {
    return [...this.providersById.values()].map((entry) => entry.provider);
  }

  provider(id: string): RegisteredProvider | undefined {
    return this.providersById.get(id)?.provider;
  }

  /** Where a loaded plugin's code is (for the runner). */
  location(name: string): PluginLocation | undefined {
    const record = this.records.find((candidate) => candidate.name === name && candidate.state === 'loaded');
    return record?.dir && record.entry
      ? { name: record.name, version: record.version, dir: record.dir, entry: record.entry, ...(record.host ? { host: record.host } : {}) }
      : undefined;
  }

  /**
   * Validates data against a provider's credentials, settings or action input schema. Returns the
   * problems (empty when valid), as `validation_failed` field errors.
   */
  validate(providerId: string, kind: SchemaKind, data: unknown, actionName?: string): FieldError[] {
    const entry = this.providersById.get(providerId);
    if (!entry) return [{ path: '', message: `unknown provider "${providerId}"` }];
    entry.validators ??= this.compileValidators(entry.provider);
    const validate = entry.validators.get(kind === 'action' ? `action:${actionName}` : kind);
    if (!validate) return [];
    if (validate(data)) return [];
    return (validate.errors ?? []).map((error) => ({
      path: [
        error.instancePath.replace(/^\//, '').replace(/\//g, '.'),
        error.params && 'missingProperty' in error.params ? String(error.params.missingProperty) : '',
      ]
        .filter(Boolean)
        .join('.'),
      message: error.message ?? 'is invalid',
    }));
  }

  /** Which loaded plugin already provides one of these ids. */
  conflictFor(providerIds: string[]): { id: string; plugin: string } | undefined {
    for (const id of providerIds) {
      const taken = this.providersById.get(id);
      if (taken) return { id, plugin: taken.provider.plugin.name };
    }
    return undefined;
  }

  /**
   * Records a plugin's state, replacing an earlier record of the same name. A loaded record's
   * providers become callable; the caller has checked that their ids are free.
   */
  put(record: PluginRecord, providers: ProviderDescription[] = []): void {
    this.dropProviders(record.name);
    const index = this.records.findIndex((candidate) => candidate.name === record.name);
    if (index === -1) this.records.push(record);
    else this.records[index] = record;
    if (record.state === 'loaded') {
      for (const description of providers) {
        this.providersById.set(description.id, { provider: { ...description, plugin: { name: record.name, version: record.version } } });
      }
    }
    this.changed();
  }

  /** Records a plugin that could not take its name (a second plugin with the same package name). */
  addShadowed(record: PluginRecord): void {
    this.records.push(record);
    this.changed();
  }

  remove(name: string): void {
    this.dropProviders(name);
    this.records = this.records.filter((record) => record.name !== name);
    this.changed();
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private dropProviders(pluginName: string): void {
    for (const [id, entry] of this.providersById) if (entry.provider.plugin.name === pluginName) this.providersById.delete(id);
  }

  private compileValidators(description: ProviderDescription): Map<string, ValidateFunction> {
    const validators = new Map<string, ValidateFunction>();
    const ajv = createSchemaCompiler({ checked: true });
    if (description.auth.type === 'api_key' || description.auth.type === 'basic') {
      validators.set('credentials', ajv.compile(description.auth.credentialsSchema));
    }
    if (description.settingsSchema) validators.set('settings', ajv.compile(description.settingsSchema));
    if (description.connectionInputs) validators.set('inputs', ajv.compile(description.connectionInputs));
    for (const action of description.actions) validators.set(`action:${action.name}`, ajv.compile(action.inputSchema));
    return validators;
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
