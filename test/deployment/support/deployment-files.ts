import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './service-environment';

export type Json = Record<string, unknown>;
export interface K8sObject extends Json {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> } & Json;
}

/** YAML as its reader reads it: Kubernetes 1.1 (0440 is octal), compose 1.2; anchors and merge keys resolved. */
export function readYaml(path: string, version: '1.1' | '1.2' = '1.1'): unknown[] {
  return parseAllDocuments(readFileSync(path, 'utf8'), { version, merge: true })
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0]?.message}`);
      return document.toJS({ maxAliasCount: 1000 }) as unknown;
    })
    .filter((value) => value !== null && value !== undefined);
}

/** An env file as compose and kustomize read it; `# NAME=` lines are variables deliberately left unset. */
export function readEnvFile(path: string): { set: Map<string, string>; unset: Set<string> } {
  const set = new Map<string, string>();
  const unset = new Set<string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const commented = /^#\s*([A-Z][A-Z0-9_]*)=/.exec(line);
    if (commented) unset.add(commented[1] as string);
    if (line.trim() === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    if (equals <= 0) throw new Error(`${path}: not KEY=value: ${line}`);
    set.set(line.slice(0, equals), line.slice(equals + 1));
  }
  return { set, unset };
}

// --- A kustomize subset ------------------------------------------------------------------------------------
// No maintained npm package resolves kustomizations offline (the real kustomize is a Go program), so this builds
// exactly the features k8s/ uses: resources (files and directories), namespace, images, configMapGenerator
// (envs, literals, files; behavior create/merge) and strategic-merge patches by kind and name. Any other field
// fails the build rather than being ignored. Unlike kustomize it does not append content hashes to generated
// ConfigMap names (references stay as written, which is what kustomize rewrites them to anyway).

const SUPPORTED = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'resources',
  'images',
  'configMapGenerator',
  'patches',
]);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);
/** Strategic-merge keys of the lists k8s/ patches (Kubernetes' patchMergeKey); other lists are replaced. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
};

export interface Build {
  objects: K8sObject[];
  /** Env files behind each generated ConfigMap (for their `# NAME=` lines). */
  envFilesOf: Map<string, string[]>;
}

interface Generator {
  name: string;
  behavior?: 'create' | 'merge' | 'replace';
  envs?: string[];
  literals?: string[];
  files?: string[];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function strategicMerge(target: unknown, patch: unknown, key?: string): unknown {
  if (Array.isArray(target) && Array.isArray(patch) && key && MERGE_KEYS[key]) {
    const mergeKey = MERGE_KEYS[key] as string;
    const merged = [...target];
    for (const item of patch) {
      const index = merged.findIndex(
        (existing) => isObject(existing) && isObject(item) && existing[mergeKey] === item[mergeKey],
      );
      if (index >= 0) merged[index] = strategicMerge(merged[index], item);
      else merged.push(item);
    }
    return merged;
  }
  if (isObject(target) && isObject(patch)) {
    const merged: Json = { ...target };
    for (const [name, value] of Object.entries(patch)) {
      merged[name] = name in target ? strategicMerge(target[name], value, name) : value;
    }
    return merged;
  }
  return patch;
}

function generateConfigMap(
  dir: string,
  generator: Generator,
): { data: Record<string, string>; envs: string[] } {
  const data: Record<string, string> = {};
  const envs = (generator.envs ?? []).map((file) => resolve(dir, file));
  for (const file of envs) for (const [name, value] of readEnvFile(file).set) data[name] = value;
  for (const literal of generator.literals ?? []) {
    const equals = literal.indexOf('=');
    data[literal.slice(0, equals)] = literal.slice(equals + 1);
  }
  for (const file of generator.files ?? []) data[basename(file)] = readFileSync(resolve(dir, file), 'utf8');
  return { data, envs };
}

export function buildKustomization(dir: string): Build {
  const file = join(dir, 'kustomization.yaml');
  const [kustomization] = readYaml(file) as Json[];
  if (!kustomization) throw new Error(`${file} is empty`);
  const unsupported = Object.keys(kustomization).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length > 0)
    throw new Error(`${file}: the resolver does not implement ${unsupported.join(', ')}`);
  const objects: K8sObject[] = [];
  const envFilesOf = new Map<string, string[]>();
  for (const resource of (kustomization.resources as string[] | undefined) ?? []) {
    const path = resolve(dir, resource);
    if (statSync(path).isDirectory()) {
      const inner = buildKustomization(path);
      objects.push(...inner.objects);
      for (const [name, envs] of inner.envFilesOf) envFilesOf.set(name, envs);
    } else {
      objects.push(...(readYaml(path) as K8sObject[]));
    }
  }
  for (const generator of (kustomization.configMapGenerator as Generator[] | undefined) ?? []) {
    const { data, envs } = generateConfigMap(dir, generator);
    const existing = objects.find(
      (object) => object.kind === 'ConfigMap' && object.metadata.name === generator.name,
    );
    const behavior = generator.behavior ?? 'create';
    if (behavior === 'create') {
      if (existing)
        throw new Error(`${file}: ConfigMap ${generator.name} exists already (use behavior: merge)`);
      objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name }, data });
      envFilesOf.set(generator.name, envs);
    } else {
      if (!existing) throw new Error(`${file}: ConfigMap ${generator.name} to ${behavior} does not exist`);
      existing.data = behavior === 'merge' ? { ...(existing.data as Json), ...data } : data;
      envFilesOf.set(generator.name, [
        ...(behavior === 'merge' ? (envFilesOf.get(generator.name) ?? []) : []),
        ...envs,
      ]);
    }
  }
  for (const { path } of (kustomization.patches as { path: string }[] | undefined) ?? []) {
    for (const patch of readYaml(resolve(dir, path)) as K8sObject[]) {
      const index = objects.findIndex(
        (object) => object.kind === patch.kind && object.metadata.name === patch.metadata.name,
      );
      if (index < 0) throw new Error(`${path}: no ${patch.kind} ${patch.metadata.name} to patch`);
      objects[index] = strategicMerge(objects[index], patch) as K8sObject;
    }
  }
  const namespace = kustomization.namespace as string | undefined;
  if (namespace) {
    for (const object of objects) {
      if (!CLUSTER_SCOPED.has(object.kind)) object.metadata = { ...object.metadata, namespace };
    }
  }
  for (const image of (kustomization.images as
    { name: string; newName?: string; newTag?: string }[] | undefined) ?? []) {
    for (const container of podContainers(objects)) {
      const [name, tag] = splitImage(container.image as string);
      if (name !== image.name) continue;
      container.image = `${image.newName ?? name}${image.newTag ? `:${image.newTag}` : tag ? `:${tag}` : ''}`;
    }
  }
  return { objects, envFilesOf };
}

function splitImage(image: string): [string, string | undefined] {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, undefined];
}

export function podSpecOf(object: K8sObject): Json | undefined {
  const spec = object.spec as Json | undefined;
  const template = spec?.template as Json | undefined;
  return template?.spec as Json | undefined;
}

export function podContainers(objects: K8sObject[]): Json[] {
  return objects.flatMap((object) => {
    const pod = podSpecOf(object);
    return pod ? [...((pod.containers as Json[]) ?? []), ...((pod.initContainers as Json[]) ?? [])] : [];
  });
}

export const K8S_DIR = join(REPO_ROOT, 'k8s');
export const OVERLAYS = [join(K8S_DIR, 'overlays', 'production')];
export { dirname };
