#!/usr/bin/env node
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { createAccount, migrate, rotateKeys, writeOpenApi } from './cli/app-commands.js';
import { formatPluginTable, installPlugin, listPlugins, newPlugin, packPluginDir, signPluginDir, validatePlugin } from './cli/plugin-commands.js';
import { CliError } from './cli/runtime.js';
import { serve } from './cli/serve.js';
import { mintToken } from './cli/token.js';

const USAGE = `Usage: plugboard <command>

  serve                                   run the API, workers and scheduler (PLUGBOARD_ROLE=api|worker|all)
  migrate [--check] [--create] [--wait-for-database SECONDS]
                                          apply pending migrations (waiting up to SECONDS for the database);
                                          --check fails when entities and migrations differ
  accounts create --name N --owner U [--plan P]
  token --sub USER [--account ID] [--instance-admin] [--expires 1h]
  openapi [--out FILE]                    print or write the OpenAPI document
  keys rotate                             re-encrypt stored secrets with the primary ENCRYPTION_KEYS key
  plugin new NAME [--out DIR]             scaffold a provider plugin with a passing test
  plugin validate DIR                     load a plugin in a sandbox and check its manifest, schemas and exports
  plugin sign DIR --key PEM --publisher P write DIR/plugboard.sig (ed25519)
  plugin pack DIR [--out DIR]             write NAME-VERSION.tgz and print its integrity
  plugins install SOURCE                  install from the marketplace (name@version), a tarball URL or path
  plugins list                            installed plugins and their state
`;

function seconds(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,5}$/.test(raw)) throw new CliError(`--wait-for-database must be a number of seconds (got "${raw}")`);
  return Number(raw);
}

async function run(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      plan: { type: 'string' },
      owner: { type: 'string' },
      sub: { type: 'string' },
      account: { type: 'string' },
      'instance-admin': { type: 'boolean', default: false },
      expires: { type: 'string', default: '1h' },
      out: { type: 'string' },
      create: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      'wait-for-database': { type: 'string' },
      key: { type: 'string' },
      publisher: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const required = (name: keyof typeof values): string => {
    const value = values[name];
    if (typeof value !== 'string' || value === '') throw new CliError(`--${name} is required\n\n${USAGE}`);
    return value;
  };
  switch (command) {
    case 'serve':
      return serve();
    case 'migrate':
      console.log(
        await migrate({ create: values.create === true, check: values.check === true, waitForDatabaseSeconds: seconds(values['wait-for-database']) }),
      );
      return;
    case 'accounts':
      if (positionals[0] !== 'create') throw new CliError(USAGE);
      console.log(JSON.stringify(await createAccount(required('name'), values.plan, required('owner')), null, 2));
      return;
    case 'token':
      console.log(
        await mintToken({ sub: required('sub'), account: values.account, instanceAdmin: values['instance-admin'] === true, expiresIn: values.expires! }),
      );
      return;
    case 'openapi':
      return writeOpenApi(values.out);
    case 'keys':
      if (positionals[0] !== 'rotate') throw new CliError(USAGE);
      for (const report of await rotateKeys()) console.log(`${report.table}.${report.column}: ${report.reEncrypted} re-encrypted`);
      return;
    case 'plugin':
      return pluginCommand(positionals, values.out, () => required('key'), () => required('publisher'));
    case 'plugins':
      if (positionals[0] === 'install' && positionals[1]) {
        console.log(JSON.stringify(await installPlugin(positionals[1]), null, 2));
        return;
      }
      if (positionals[0] === 'list') {
        const plugins = await listPlugins();
        console.log(values.json ? JSON.stringify(plugins, null, 2) : formatPluginTable(plugins));
        return;
      }
      throw new CliError(USAGE);
    case 'help':
    case '--help':
      console.log(USAGE);
      return;
    default:
      throw new CliError(`Unknown command "${command}"\n\n${USAGE}`);
  }
}

async function pluginCommand(positionals: string[], out: string | undefined, key: () => string, publisher: () => string): Promise<void> {
  const [action, target] = positionals;
  if (!target) throw new CliError(USAGE);
  switch (action) {
    case 'new':
      console.log(`created ${newPlugin(target, out)}`);
      return;
    case 'validate':
      console.log(JSON.stringify(await validatePlugin(target), null, 2));
      return;
    case 'sign': {
      const signed = signPluginDir(target, key(), publisher());
      console.log(`signed ${signed.files} files: ${signed.file}`);
      return;
    }
    case 'pack':
      console.log(JSON.stringify(await packPluginDir(target, out), null, 2));
      return;
    default:
      throw new CliError(USAGE);
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof CliError || (error instanceof Error && error.name === 'TypeError' && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
    console.error(`plugboard: ${error.message}`);
  } else {
    console.error(`plugboard: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.LOG_LEVEL === 'debug') console.error(error);
  }
  process.exit(1);
});
