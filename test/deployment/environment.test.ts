import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  buildKustomization,
  K8S_DIR,
  OVERLAYS,
  readEnvFile,
  readYaml,
  type Json,
  type K8sObject,
} from './support/deployment-files';
import { deployedServices, REPO_ROOT, variablesReadBy } from './support/service-environment';

/**
 * Variables the deployments set although no service reads them yet: each waits for an app change named in the
 * README's deployment notes. Once a service reads one, it must leave this list (the last test says so).
 */
const PENDING: Readonly<Record<string, readonly string[]>> = {};

/** The whole-value variables the image's entrypoint fills from `<NAME>_FILE` (deploy/docker/entrypoint.sh). */
function entrypointFileVariables(): string[] {
  const script = readFileSync(join(REPO_ROOT, 'deploy', 'docker', 'entrypoint.sh'), 'utf8');
  const list = /^for name in ([A-Z0-9_ ]+); do/m.exec(script)?.[1];
  if (!list) throw new Error('entrypoint.sh: no "for name in …" list');
  return list.trim().split(/\s+/);
}

interface Mentions {
  set: Set<string>;
  unset: Set<string>;
}

function composeMentions(service: string): Mentions {
  const [compose] = readYaml(join(REPO_ROOT, 'docker-compose.yml'), '1.2') as Json[];
  const definition = (compose?.services as Record<string, Json>)[service];
  if (!definition) throw new Error(`docker-compose.yml has no service ${service}`);
  const set = new Set(Object.keys((definition.environment as Json | undefined) ?? {}));
  const unset = new Set<string>();
  for (const file of (definition.env_file as string[] | undefined) ?? []) {
    const env = readEnvFile(resolve(REPO_ROOT, file));
    for (const name of env.set.keys()) set.add(name);
    for (const name of env.unset) unset.add(name);
  }
  return { set, unset };
}

function kubernetesMentions(dir: string, service: string): Mentions {
  const { objects, envFilesOf } = buildKustomization(dir);
  const deployment = objects.find(
    (o) => o.kind === 'Deployment' && o.metadata.name === `credroam-${service}`,
  );
  if (!deployment) throw new Error(`no Deployment credroam-${service}`);
  const container = (((deployment.spec as Json).template as Json).spec as Json).containers as Json[];
  const main = container.find((one) => one.name === service) as Json;
  const set = new Set(((main.env as Json[] | undefined) ?? []).map((entry) => entry.name as string));
  const unset = new Set<string>();
  for (const source of (main.envFrom as Json[] | undefined) ?? []) {
    const name = (source.configMapRef as Json | undefined)?.name as string | undefined;
    if (!name) throw new Error('only configMapRef envFrom is traced (a Secret envFrom would hide its keys)');
    const configMap = objects.find((o): o is K8sObject => o.kind === 'ConfigMap' && o.metadata.name === name);
    if (!configMap) throw new Error(`${service}: envFrom ConfigMap ${name} is not in the build`);
    for (const key of Object.keys((configMap.data as Json | undefined) ?? {})) set.add(key);
    for (const file of envFilesOf.get(name) ?? []) for (const one of readEnvFile(file).unset) unset.add(one);
  }
  return { set, unset };
}

const services = deployedServices();
const deployments: [string, (service: string) => Mentions][] = [
  ['docker-compose.yml', composeMentions],
  ['k8s/ (base)', (service) => kubernetesMentions(K8S_DIR, service)],
  ...OVERLAYS.map((dir): [string, (service: string) => Mentions] => [
    `k8s/${dir.slice(K8S_DIR.length + 1)}`,
    (service) => kubernetesMentions(dir, service),
  ]),
];
const read = new Map(services.map((service) => [service, variablesReadBy(service)]));
const shim = entrypointFileVariables();

describe('the variables each service reads, from its source', () => {
  it('finds the four services that the image can start', () => {
    expect(services).toEqual(['directory-gateway', 'token-crypto', 'logon-events', 'audit']);
  });

  it('follows each service into the libraries it uses, and only into the parts it uses', () => {
    for (const service of services) {
      expect(read.get(service)).toEqual(expect.objectContaining({}) && expect.any(Set));
      for (const shared of ['CREDROAM_AMQP_URL', 'CREDROAM_AMQP_NAMESPACE', 'CREDROAM_LOG_LEVEL']) {
        expect([service, read.get(service)?.has(shared)]).toEqual([service, true]);
      }
    }
    expect(read.get('logon-events')?.has('CREDROAM_GRANT_SIGNING_KEY_FILE')).toBe(true);
    expect(read.get('logon-events')?.has('CREDROAM_GRANT_PUBLIC_KEYS_FILE')).toBe(false);
    expect(read.get('token-crypto')?.has('CREDROAM_GRANT_PUBLIC_KEYS_FILE')).toBe(true);
    expect(read.get('directory-gateway')?.has('CREDROAM_LDAP_BIND_PASSWORD_FILE')).toBe(true);
    expect(read.get('audit')?.has('CREDROAM_LDAP_URL')).toBe(false);
    // Benchmarks are not part of a service.
    expect(read.get('audit')?.has('CREDROAM_BENCH_ROWS')).toBe(false);
  });
});

describe.each(deployments)('%s', (_name, mentionsOf) => {
  it.each(services)('sets or deliberately leaves unset every variable %s reads', (service) => {
    const { set, unset } = mentionsOf(service);
    const provided = new Set([...set, ...shim.filter((name) => set.has(`${name}_FILE`))]);
    const missing = [...(read.get(service) ?? [])].filter((name) => !provided.has(name) && !unset.has(name));
    expect(missing).toEqual([]);
  });

  it.each(services)('sets no CREDROAM_ variable that %s does not read', (service) => {
    const { set } = mentionsOf(service);
    const known = read.get(service) ?? new Set<string>();
    const unknown = [...set].filter(
      (name) =>
        name.startsWith('CREDROAM_') &&
        !known.has(name) &&
        !shim.some((variable) => name === `${variable}_FILE`) &&
        !PENDING[name]?.includes(service),
    );
    expect(unknown).toEqual([]);
  });
});

describe('pending app changes', () => {
  it('lists only variables that no service reads yet', () => {
    const nowRead = Object.entries(PENDING).flatMap(([name, who]) =>
      who.filter((service) => read.get(service)?.has(name)).map((service) => `${service} ${name}`),
    );
    expect(nowRead).toEqual([]);
  });
});
