import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { extractHelm, Helm, Manifest, parseManifests, schemaViolations, unknownFieldViolations } from '../support/kubernetes-manifests.js';

const CHART = 'charts/plugboard';
const FULL_VALUES = `${CHART}/ci/full-values.yaml`;

interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  securityContext?: Record<string, unknown>;
  livenessProbe?: { httpGet: { path: string } };
  readinessProbe?: { httpGet: { path: string } };
  startupProbe?: { httpGet: { path: string } };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes: Array<{ name: string; emptyDir?: object; configMap?: { name: string } }>;
  securityContext: Record<string, unknown>;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
}
type Workload = Manifest & {
  spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
};

const find = (manifests: Manifest[], kind: string, name?: string) =>
  manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
const one = <T = Manifest>(manifests: Manifest[], kind: string, name: string): T => {
  const found = find(manifests, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0] as T;
};
const envOf = (container: Container) => Object.fromEntries((container.env ?? []).map((variable) => [variable.name, variable]));
const podSpecs = (manifests: Manifest[]) =>
  [...find(manifests, 'Deployment'), ...find(manifests, 'Job')].map((m) => [m.metadata.name, (m as Workload).spec.template.spec] as const);

/** The Pod Security Standard "restricted" profile, plus a read-only root filesystem with writable /tmp. */
function expectRestricted(name: string, pod: PodSpec) {
  expect({ name, runAsNonRoot: pod.securityContext.runAsNonRoot }).toEqual({ name, runAsNonRoot: true });
  expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
  expect(pod.securityContext.runAsUser).not.toBe(0);
  for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
    expect({ name, container: container.name, ...container.securityContext }).toMatchObject({
      name,
      container: container.name,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
    expect(tmp).toBeDefined();
    expect(pod.volumes.find((volume) => volume.name === tmp!.name)?.emptyDir).toBeDefined();
  }
}

/** Every Secret and ConfigMap a pod reads is rendered by the chart or named in the values as existing. */
function expectReferencesResolve(manifests: Manifest[], existingSecrets: string[]) {
  const secrets = new Set([...find(manifests, 'Secret').map((m) => m.metadata.name), ...existingSecrets]);
  const configMaps = new Set(find(manifests, 'ConfigMap').map((m) => m.metadata.name));
  for (const [name, pod] of podSpecs(manifests)) {
    for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
      for (const variable of container.env ?? []) {
        const ref = variable.valueFrom?.secretKeyRef;
        if (ref) expect({ name, secret: ref.name, known: secrets.has(ref.name) }).toEqual({ name, secret: ref.name, known: true });
      }
      for (const source of container.envFrom ?? []) {
        if (source.configMapRef) expect(configMaps.has(source.configMapRef.name)).toBe(true);
      }
    }
    for (const volume of pod.volumes) if (volume.configMap) expect(configMaps.has(volume.configMap.name)).toBe(true);
  }
}

describe('Helm chart charts/plugboard', () => {
  let helm: Helm;
  const template = (...args: string[]) => {
    const result = helm.run(['template', 'acme', CHART, '--namespace', 'integrations', ...args]);
    return { ...result, manifests: result.status === 0 ? parseManifests(result.stdout) : [] };
  };

  beforeAll(() => {
    helm = extractHelm();
  });
  afterAll(() => helm?.cleanup());

  it('passes helm lint --strict with the default and the full values', () => {
    for (const args of [[], ['-f', FULL_VALUES]]) {
      const result = helm.run(['lint', '--strict', CHART, ...args]);
      expect({ args, status: result.status, output: result.stdout + result.stderr }).toMatchObject({ args, status: 0 });
      expect(result.stdout).toContain('0 chart(s) failed');
    }
  });

  describe.each([
    ['default values', [] as string[]],
    ['full values', ['-f', FULL_VALUES]],
  ])('rendered with %s', (_label, args) => {
    let manifests: Manifest[];
    beforeAll(() => {
      const result = template(...args);
      if (result.status !== 0) throw new Error(result.stderr);
      manifests = result.manifests;
    });

    it('matches the Kubernetes schemas, with no unknown field anywhere', async () => {
      expect(manifests.length).toBeGreaterThan(8);
      expect(await schemaViolations(manifests)).toEqual([]);
      expect(unknownFieldViolations(manifests)).toEqual([]);
    });

    it('runs API and worker Deployments from one image, split by PLUGBOARD_ROLE, with probes on /health', () => {
      const api = one<Workload>(manifests, 'Deployment', 'acme-plugboard-api');
      const worker = one<Workload>(manifests, 'Deployment', 'acme-plugboard-worker');
      const [apiContainer] = api.spec.template.spec.containers;
      const [workerContainer] = worker.spec.template.spec.containers;
      expect(apiContainer.image).toBe(workerContainer.image);
      expect(envOf(apiContainer).PLUGBOARD_ROLE.value).toBe('api');
      expect(envOf(workerContainer).PLUGBOARD_ROLE.value).toBe('worker');
      for (const [deployment, container] of [
        [api, apiContainer],
        [worker, workerContainer],
      ] as const) {
        expect(container.args).toEqual(['serve']);
        expect(container.livenessProbe!.httpGet.path).toBe('/health/live');
        expect(container.readinessProbe!.httpGet.path).toBe('/health/ready');
        expect(container.startupProbe!.httpGet.path).toBe('/health/live');
        expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
        expect(Object.keys(envOf(container))).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'ENCRYPTION_KEYS']));
      }
      expect(apiContainer.env!.filter((e) => e.name !== 'PLUGBOARD_ROLE')).toEqual(workerContainer.env!.filter((e) => e.name !== 'PLUGBOARD_ROLE'));
    });

    it('runs every pod under the restricted security profile with a read-only root and an emptyDir /tmp', () => {
      const pods = podSpecs(manifests);
      expect(pods.length).toBe(3);
      for (const [name, pod] of pods) expectRestricted(name, pod);
    });

    it('resolves every Secret and ConfigMap reference', () => {
      const values = parseYaml(args.length ? readFileSync(FULL_VALUES, 'utf8') : readFileSync(`${CHART}/values.yaml`, 'utf8'));
      const existing = [values.postgresql.existingSecret, values.redis.existingSecret, values.secrets.existingSecret, values.metrics?.existingSecret].filter(
        Boolean,
      );
      expectReferencesResolve(manifests, existing);
    });

    it('migrates in a hook Job that waits for the database and needs only DATABASE_URL', () => {
      const job = one<Workload>(manifests, 'Job', 'acme-plugboard-migrate');
      expect(job.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'pre-install,pre-upgrade' });
      const [container] = job.spec.template.spec.containers;
      expect(container.args?.slice(0, 2)).toEqual(['migrate', '--wait-for-database']);
      expect(Number(container.args?.[2])).toBeGreaterThan(0);
      expect(Object.keys(envOf(container))).toContain('DATABASE_URL');
      expect(container.envFrom).toBeUndefined();
      const databaseSecret = envOf(container).DATABASE_URL.valueFrom!.secretKeyRef!.name;
      const hookSecret = find(manifests, 'Secret', databaseSecret)[0];
      if (hookSecret) {
        // Created before the Job within the same hook phase.
        expect(hookSecret.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
        expect(Number(hookSecret.metadata.annotations?.['helm.sh/hook-weight'])).toBeLessThan(Number(job.metadata.annotations!['helm.sh/hook-weight']));
      }
      const deployments = find(manifests, 'Deployment') as Workload[];
      for (const deployment of deployments) expect(deployment.metadata.annotations?.['helm.sh/hook']).toBeUndefined();
      expect(one<Manifest & { data: Record<string, string> }>(manifests, 'ConfigMap', 'acme-plugboard').data.MIGRATE_ON_START).toBe('false');
    });

    it('exposes the API through its Service, and workers through a headless metrics Service', () => {
      const service = one<Manifest & { spec: { selector: Record<string, string>; ports: Array<{ targetPort: string }> } }>(
        manifests,
        'Service',
        'acme-plugboard',
      );
      expect(service.spec.selector).toMatchObject({ 'app.kubernetes.io/component': 'api' });
      expect(service.spec.ports[0].targetPort).toBe('http');
      const api = one<Workload>(manifests, 'Deployment', 'acme-plugboard-api');
      expect(api.spec.template.metadata.labels).toMatchObject(service.spec.selector);
      const workerService = one<Manifest & { spec: { selector: Record<string, string>; clusterIP: string } }>(manifests, 'Service', 'acme-plugboard-worker');
      expect(workerService.spec.clusterIP).toBe('None');
      expect(one<Workload>(manifests, 'Deployment', 'acme-plugboard-worker').spec.template.metadata.labels).toMatchObject(workerService.spec.selector);
    });

    it('has a PodDisruptionBudget per component selecting its pods', () => {
      for (const component of ['api', 'worker']) {
        const pdb = one<Manifest & { spec: { selector: { matchLabels: Record<string, string> } } }>(
          manifests,
          'PodDisruptionBudget',
          `acme-plugboard-${component}`,
        );
        expect(one<Workload>(manifests, 'Deployment', `acme-plugboard-${component}`).spec.template.metadata.labels).toMatchObject(
          pdb.spec.selector.matchLabels,
        );
      }
    });
  });

  describe('defaults', () => {
    let manifests: Manifest[];
    beforeAll(() => {
      manifests = template().manifests;
    });

    it('keeps optional resources off and stores connection strings and generated secrets in the chart Secret', () => {
      for (const kind of ['Ingress', 'HorizontalPodAutoscaler', 'ServiceMonitor', 'NetworkPolicy']) expect(find(manifests, kind)).toEqual([]);
      const secret = one<Manifest & { data: Record<string, string> }>(manifests, 'Secret', 'acme-plugboard');
      expect(Object.keys(secret.data).sort()).toEqual(['AUTH_JWT_SECRET', 'DATABASE_URL', 'ENCRYPTION_KEYS', 'REDIS_URL']);
      expect(secret.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
      const decode = (key: string) => Buffer.from(secret.data[key], 'base64').toString('utf8');
      expect(decode('AUTH_JWT_SECRET').length).toBeGreaterThanOrEqual(32);
      const [kid, key] = decode('ENCRYPTION_KEYS').split(':');
      expect(kid).toBe('k1');
      expect(Buffer.from(key, 'base64')).toHaveLength(32);
      const api = one<Workload>(manifests, 'Deployment', 'acme-plugboard-api');
      expect(api.spec.replicas).toBe(2);
      expect(api.spec.template.spec.initContainers).toBeUndefined();
    });

    it('prints NOTES with how to reach the API and a warning about generated secrets', () => {
      // helm renders NOTES.txt only when installing into a cluster: render a copy as a YAML block scalar.
      const copy = mkdtempSync(join(tmpdir(), 'plugboard-chart-'));
      cpSync(CHART, copy, { recursive: true });
      const notes = readFileSync(join(copy, 'templates/NOTES.txt'), 'utf8');
      writeFileSync(join(copy, 'templates/notes.yaml'), `notes: |\n${notes.replace(/^/gm, '  ')}`);
      rmSync(join(copy, 'templates/NOTES.txt'));
      const result = helm.run(['template', 'acme', copy, '--namespace', 'integrations', '--show-only', 'templates/notes.yaml']);
      rmSync(copy, { recursive: true, force: true });
      expect(result.stderr).toBe('');
      const rendered = (parseYaml(result.stdout) as { notes: string }).notes;
      expect(rendered).toContain('kubectl --namespace integrations port-forward svc/acme-plugboard 3000:80');
      expect(rendered).toContain('API pods:    acme-plugboard-api, replicas: 2');
      expect(rendered).toContain('Back up ENCRYPTION_KEYS');
    });
  });

  describe('full values', () => {
    let manifests: Manifest[];
    beforeAll(() => {
      manifests = template('-f', FULL_VALUES).manifests;
    });

    it('installs the listed plugins in an init container into the volume the server reads', () => {
      const values = parseYaml(readFileSync(FULL_VALUES, 'utf8'));
      for (const component of ['api', 'worker']) {
        const pod = one<Workload>(manifests, 'Deployment', `acme-plugboard-${component}`).spec.template.spec;
        const [init] = pod.initContainers!;
        expect(init.name).toBe('install-plugins');
        expect(init.command!.join(' ')).toContain('plugins install');
        expect(init.args).toEqual(values.plugins.install);
        const configMap = one<Manifest & { data: Record<string, string> }>(manifests, 'ConfigMap', 'acme-plugboard');
        const pluginsDir = configMap.data.PLUGINS_DIR;
        const mountOf = (container: Container) => container.volumeMounts!.find((mount) => mount.mountPath === pluginsDir)?.name;
        expect(mountOf(init)).toBeDefined();
        expect(mountOf(init)).toBe(mountOf(pod.containers[0]));
        expect(init.envFrom).toEqual(pod.containers[0].envFrom);
        expect(configMap.data).toMatchObject({
          PLUGIN_SIGNATURE_POLICY: 'required',
          MARKETPLACE_INDEX: values.plugins.marketplaceIndex,
          TRUSTED_PUBLISHERS_DIR: '/etc/plugboard/trusted-publishers',
        });
      }
      const publishers = one<Manifest & { data: Record<string, string> }>(manifests, 'ConfigMap', 'acme-plugboard-trusted-publishers');
      expect(publishers.data['acme.pem']).toContain('BEGIN PUBLIC KEY');
    });

    it('reads connection strings and secrets from the existing Secrets and renders no Secret of its own', () => {
      expect(find(manifests, 'Secret')).toEqual([]);
      const env = envOf(one<Workload>(manifests, 'Deployment', 'acme-plugboard-api').spec.template.spec.containers[0]);
      expect(env.DATABASE_URL.valueFrom!.secretKeyRef).toEqual({ name: 'plugboard-database', key: 'url' });
      expect(env.REDIS_URL.valueFrom!.secretKeyRef).toEqual({ name: 'plugboard-redis', key: 'url' });
      expect(env.AUTH_JWT_SECRET.valueFrom!.secretKeyRef).toEqual({ name: 'plugboard-secrets', key: 'AUTH_JWT_SECRET' });
      expect(env.ENCRYPTION_KEYS.valueFrom!.secretKeyRef).toEqual({ name: 'plugboard-secrets', key: 'ENCRYPTION_KEYS' });
      expect(env.METRICS_TOKEN.valueFrom!.secretKeyRef).toEqual({ name: 'plugboard-metrics', key: 'token' });
    });

    it('autoscales each component, leaving replicas to the HPA', () => {
      for (const component of ['api', 'worker']) {
        const hpa = one<Manifest & { spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number } }>(
          manifests,
          'HorizontalPodAutoscaler',
          `acme-plugboard-${component}`,
        );
        expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: `acme-plugboard-${component}` });
        expect(one<Workload>(manifests, 'Deployment', `acme-plugboard-${component}`).spec.replicas).toBeUndefined();
      }
    });

    it('routes the Ingress to the API Service and scrapes both components with the metrics token', () => {
      const ingress = one<
        Manifest & { spec: { rules: Array<{ http: { paths: Array<{ backend: { service: { name: string; port: { name: string } } } }> } }>; tls: unknown[] } }
      >(manifests, 'Ingress', 'acme-plugboard');
      expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'acme-plugboard', port: { name: 'http' } });
      expect(ingress.spec.tls).toHaveLength(1);
      const monitor = one<
        Manifest & { spec: { endpoints: Array<{ path: string; port: string; authorization: unknown }>; selector: { matchExpressions: unknown[] } } }
      >(manifests, 'ServiceMonitor', 'acme-plugboard');
      expect(monitor.metadata.labels).toMatchObject({ release: 'prometheus' });
      expect(monitor.spec.endpoints[0]).toMatchObject({
        path: '/metrics',
        port: 'http',
        authorization: { type: 'Bearer', credentials: { name: 'plugboard-metrics', key: 'token' } },
      });
      expect(monitor.spec.selector.matchExpressions).toEqual([{ key: 'app.kubernetes.io/component', operator: 'In', values: ['api', 'worker'] }]);
    });

    it('restricts traffic with a NetworkPolicy per component', () => {
      const api = one<Manifest & { spec: { ingress: Array<{ from: unknown[] }>; egress: Array<{ ports: Array<{ port: number }> }> } }>(
        manifests,
        'NetworkPolicy',
        'acme-plugboard-api',
      );
      expect(api.spec.ingress[0].from).toHaveLength(2);
      expect(api.spec.egress.flatMap((rule) => rule.ports.map((port) => port.port))).toEqual(expect.arrayContaining([53, 443, 5432, 6379, 8443]));
      expect(find(manifests, 'NetworkPolicy')).toHaveLength(2);
    });
  });

  it("renders the README's minimal and production values examples", async () => {
    const readme = readFileSync('README.md', 'utf8');
    const examples = [...readme.matchAll(/```yaml\n# (values-[\w-]+\.yaml)\n([\s\S]*?)```/g)];
    expect(examples.map((example) => example[1])).toEqual(['values-minimal.yaml', 'values-production.yaml']);
    const dir = mkdtempSync(join(tmpdir(), 'plugboard-values-'));
    try {
      for (const [, name, body] of examples) {
        writeFileSync(join(dir, name), body.replace('sha256:<the image digest>', `sha256:${'a'.repeat(64)}`));
        const result = template('-f', join(dir, name));
        expect({ name, status: result.status, stderr: result.stderr }).toEqual({ name, status: 0, stderr: '' });
        expect(await schemaViolations(result.manifests)).toEqual([]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses values with a typo, a wrong type or a missing database before rendering anything', () => {
    for (const args of [
      ['--set', 'api.replicass=3'],
      ['--set', 'ingress.enabeld=true'],
      ['--set', 'image.pullPolicy=Sometimes'],
      ['--set', 'worker.autoscaling.maxReplicas=many'],
      ['--set', 'postgresql.url='],
      ['--set', 'secrets.authJwtSecret=short'],
      ['--set', 'config.env.lower-case=1'],
    ]) {
      const result = template(...args);
      expect({ args, status: result.status }).toEqual({ args, status: 1 });
      expect(result.stderr).toContain("values don't meet the specifications of the schema");
    }
  });

  it('the checks themselves catch a misspelt field and a wrong type', async () => {
    const manifests = template().manifests;
    const api = one<Workload>(manifests, 'Deployment', 'acme-plugboard-api');
    (api.spec.template.spec.containers[0] as unknown as Record<string, unknown>).imagePullPolicyy = 'Always';
    expect(unknownFieldViolations(manifests)).toEqual([expect.stringContaining("'\"imagePullPolicyy\"' does not exist in type 'IContainer'")]);
    (api.spec as Record<string, unknown>).replicas = 'two';
    expect(await schemaViolations(manifests)).toEqual([expect.stringContaining('replicas must be integer')]);
  });
});
