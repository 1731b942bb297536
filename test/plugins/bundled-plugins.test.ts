import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isCompatible, readManifest, validateDescription } from '../../src/modules/plugins/plugin-manifest.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import { describeDefinition } from '../../src/modules/plugins/runtime/description.js';
import { loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

/** Every first-party plugin: a folder of plugins/ named after its provider id (`google-calendar` → `google_calendar`). */
const FOLDERS = readdirSync('plugins', { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
const IDS: Record<string, string> = Object.fromEntries(FOLDERS.map((folder) => [folder, folder.replace(/-/g, '_')]));

const providers: Record<string, Json> = {};

beforeAll(async () => {
  for (const folder of FOLDERS) {
    const [provider] = (await loadBundledPlugin(folder)).providers;
    expect(provider.id).toBe(IDS[folder]);
    providers[folder] = provider;
  }
});

describe('bundled plugins', () => {
  it('are first-party packages, each an ESM package declaring SDK ^1.0.0, or ^1.1.0 when it uses the SDK', () => {
    expect(FOLDERS).toEqual(expect.arrayContaining(['google-calendar', 'ical-feed', 'mailchimp', 'sendgrid', 'stripe']));
    for (const folder of FOLDERS) {
      const pkg = JSON.parse(readFileSync(join('plugins', folder, 'package.json'), 'utf8'));
      const code = readFileSync(join('plugins', folder, 'index.js'), 'utf8');
      const usesSdk = /from 'plugboard\/sdk'/.test(code);
      expect(pkg).toMatchObject({
        name: `plugboard-plugin-${folder}`,
        version: '1.0.0',
        type: 'module',
        main: 'index.js',
        plugboard: { apiVersion: usesSdk ? '^1.1.0' : '^1.0.0' },
      });
      // Only the SDK the host resolves for every plugin: nothing else of Plugboard, nothing outside the package.
      expect(code).not.toMatch(/from ['"](plugboard(?!\/sdk['"])|\.\.\/)/);
    }
  });

  it('pass the host loader’s checks: manifest, apiVersion, definition and every JSON Schema in it', async () => {
    for (const folder of FOLDERS) {
      const manifest = readManifest(join('plugins', folder));
      expect(isCompatible(manifest.apiVersion)).toBe(true);
      const description = describeDefinition(await loadBundledPlugin(folder));
      expect(() => validateDescription(description)).not.toThrow();
    }
  });

  it('mark every credential field secret', () => {
    for (const provider of Object.values(providers).filter((candidate) => candidate.auth.type === 'api_key')) {
      for (const field of Object.values<{ secret?: boolean }>(provider.auth.credentialsSchema.properties)) expect(field.secret).toBe(true);
    }
  });

  it('refuse malformed credentials and inputs at the schema, before any call', () => {
    const ajv = createSchemaCompiler();
    const credentials = (folder: string) => ajv.compile(providers[folder].auth.credentialsSchema);
    const input = (folder: string, action: string) => ajv.compile(providers[folder].actions[action].inputSchema);

    expect(credentials('stripe')({ secretKey: 'sk_test_abc' })).toBe(true);
    expect(credentials('stripe')({ secretKey: 'pk_test_abc' })).toBe(false);
    expect(credentials('stripe')({ secretKey: 'sk_test_abc', webhookSecret: 'not-whsec' })).toBe(false);
    expect(credentials('stripe')({ secretKey: 'sk_test_abc', extra: 1 })).toBe(false);
    expect(credentials('sendgrid')({ apiKey: 'SG.abc.def' })).toBe(true);
    expect(credentials('sendgrid')({ apiKey: 'abc' })).toBe(false);

    expect(input('stripe', 'createRefund')({ amount: 100 })).toBe(false);
    expect(input('stripe', 'createRefund')({ charge: 'ch_1', amount: 100 })).toBe(true);
    expect(input('stripe', 'createRefund')({ charge: 'ch_1', reason: 'because' })).toBe(false);
    expect(input('sendgrid', 'sendEmail')({ to: 'ana@example.com', subject: 'x' })).toBe(false);
    expect(input('sendgrid', 'sendEmail')({ to: [{ email: 'ana@example.com' }], subject: 'x', text: 'y' })).toBe(true);
    expect(input('sendgrid', 'sendEmail')({ to: 'not-an-email', text: 'y' })).toBe(false);
    expect(input('mailchimp', 'addMember')({ email: 'ana@example.com', tags: ['a'] })).toBe(true);
    expect(input('mailchimp', 'addMember')({ email: 'nope' })).toBe(false);
    expect(input('google-calendar', 'createEvent')({ summary: 'x', start: '2030-01-01T10:00:00Z', end: '2030-01-01T11:00:00Z' })).toBe(true);
    expect(input('google-calendar', 'createEvent')({ summary: 'x', start: 'tomorrow', end: '2030-01-01T11:00:00Z' })).toBe(false);
    expect(input('ical-feed', 'render')({ events: [{ id: '1', event: 'session.started', timestamp: '2026-01-01T00:00:00Z', data: { sessionId: 's' } }] })).toBe(
      true,
    );
    expect(input('ical-feed', 'render')({})).toBe(false);
  });
});
