import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { createAccount, migrate, mintConsoleLink, rotateKeys, writeOpenApi } from './app-commands.js';
import { errorLine } from './error-line.js';
import { formatPluginTable, installPlugin, listPlugins, newPlugin, packPluginDir, signPluginDir, validatePlugin } from './plugin-commands.js';
import { CliError, readConfig } from './runtime.js';
import { serve } from './serve.js';
import { mintToken } from './token.js';

const USAGE = `Usage: plugboard <command>

  serve                                   run the API, workers and scheduler (PLUGBOARD_ROLE=api|worker|all)
  migrate [--check] [--create] [--wait-for-database SECONDS]
                                          apply pending migrations (waiting up to SECONDS for the database);
                                          --check fails when entities and migrations differ
  accounts create --name N --owner U [--plan P]
  token --sub USER [--account ID] [--instance-admin] [--expires 1h]
  console-link --sub USER [--account ID] [--instance-admin]
                                          print a one-time link (ten minutes) that signs USER in to the console
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

/** Runs one plugboard command; any failure ends the process with one `plugboard: …` line and status 1. */
export async function run(argv: string[]): Promise<void> {
  try {
    await runCommand(argv);
  } catch (error) {
    console.error(`plugboard: ${errorLine(error)}`);
    if (process.env.LOG_LEVEL === 'debug') console.error(error);
    process.exit(1);
  }
}

async function runCommand(argv: string[]): Promise<void> {
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
    case 'accounts': {
      if (positionals[0] !== 'create') throw new CliError(USAGE);
      const owner = required('owner');
      const account = await createAccount(required('name'), values.plan, owner);
      console.log(JSON.stringify(account, null, 2));
      // Piped output stays pure JSON; a person at a terminal is shown where to go next.
      if (process.stdout.isTTY) console.log(nextSteps(account.id, owner));
      return;
    }
    case 'token':
      console.log(
        await mintToken({ sub: required('sub'), account: values.account, instanceAdmin: values['instance-admin'] === true, expiresIn: values.expires }),
      );
      return;
    case 'console-link':
      console.log(await mintConsoleLink(required('sub'), values.account, values['instance-admin'] === true));
      return;
    case 'openapi':
      return writeOpenApi(values.out);
    case 'keys':
      if (positionals[0] !== 'rotate') throw new CliError(USAGE);
      for (const report of await rotateKeys()) console.log(`${report.table}.${report.column}: ${report.reEncrypted} re-encrypted`);
      return;
    case 'plugin':
      return pluginCommand(
        positionals,
        values.out,
        () => required('key'),
        () => required('publisher'),
      );
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

function nextSteps(accountId: string, owner: string): string {
  const { publicUrl } = readConfig();
  return [
    '',
    'Next, as the owner:',
    `  TOKEN=$(npx plugboard token --sub ${owner} --account ${accountId})`,
    `  curl -H "Authorization: Bearer $TOKEN" ${publicUrl}/v1/me`,
    `API reference: ${publicUrl}/docs`,
  ].join('\n');
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
