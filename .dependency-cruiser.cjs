/**
 * The boundaries of Plugboard's modular monolith, checked by `npm run lint` (part of `npm test`).
 * docs/architecture.md draws the same layers; test/architecture/boundaries.test.ts checks they agree.
 *
 * Modules sit in layers, lowest first: a module may use modules of lower layers (through their
 * index.ts), core and the SDK — never one of its own layer or above.
 */
const LAYERS = [
  ['plans'],
  ['rbac'],
  ['audit'],
  ['accounts'],
  ['events', 'plugins', 'health', 'console'],
  ['api-keys', 'webhooks'],
  ['integrations'],
  ['sso', 'onboarding'],
  ['mcp'],
];

const layerRules = LAYERS.flatMap((layer, index) =>
  layer.map((module) => {
    const notBelow = LAYERS.slice(index).flat().filter((other) => other !== module);
    return {
      name: `layer-${module}`,
      comment: `${module} may use only modules of lower layers: not ${notBelow.join(', ')}`,
      severity: 'error',
      from: { path: `^src/modules/${module}/` },
      to: { path: `^src/modules/(${notBelow.join('|')})/` },
    };
  }),
);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Import cycles hide the order things are built in and break as soon as a file runs code at import time.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-uses-no-module',
      comment: 'core is the foundation every module stands on: it names what it needs (tokens, interfaces) and modules provide it.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/(modules|cli)/|^src/(app|app\\.module|main)\\.ts$' },
    },
    {
      name: 'sdk-stands-alone',
      comment: 'The SDK is published to plugin authors: it imports nothing but itself and Node.',
      severity: 'error',
      from: { path: '^src/sdk/' },
      to: { pathNot: '^src/sdk/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'modules-use-modules-through-index',
      comment: "Another module is used through its index.ts (its exported services, types and tokens), never its files.",
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'app-uses-modules-through-index',
      comment: 'The app (entry points, CLI) uses modules through their index.ts too.',
      severity: 'error',
      from: { path: '^src/(cli/|[^/]+\\.ts$)' },
      to: { path: '^src/modules/[^/]+/', pathNot: '^src/modules/[^/]+/index\\.ts$' },
    },
    {
      name: 'modules-use-no-app',
      comment: 'Modules know nothing of the processes that run them.',
      severity: 'error',
      from: { path: '^src/(modules|sdk)/' },
      to: { path: '^src/(cli/|(app|app\\.module|main)\\.ts$)' },
    },
    ...layerRules,
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
