import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The environment variables each service reads, found in its source rather than listed by hand: everything
 * reachable from `apps/<service>/src/main.ts`, following imports through the @credroam/* libraries down to the
 * one declaration that is used (so logon-events, which signs grants, is not said to read the verifiers' grant
 * variables). A variable is a whole string literal or a property name `CREDROAM_…` (`env.CREDROAM_X`,
 * `{ CREDROAM_X: z… }`, `'CREDROAM_X'`), or an entry of a name table used as `TABLE.entry`
 * (`GRANT_ENV.signingKeyFile`). Passing a whole table to Object.keys/values/entries enumerates names to copy, it
 * reads none by itself. Benchmarks, specs and the workstation agent are not reachable from a service's main.ts.
 */

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const VARIABLE = /^CREDROAM_[A-Z0-9_]+$/;
const ENUMERATORS = new Set(['keys', 'values', 'entries']);

interface ParsedFile {
  path: string;
  source: ts.SourceFile;
  declarations: Map<string, ts.Node[]>;
  imports: Map<string, { module: string; name: string }>;
  reExports: Map<string, { module: string; name: string }>;
  exportStars: string[];
}

function aliasTargets(): [string, string][] {
  const tsconfig = ts.readConfigFile(join(REPO_ROOT, 'tsconfig.json'), ts.sys.readFile).config as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  return Object.entries(tsconfig.compilerOptions.paths).map(([alias, [target]]) => [alias, target as string]);
}

function asSourceFile(candidate: string): string | undefined {
  for (const file of [`${candidate}.ts`, join(candidate, 'index.ts')]) if (existsSync(file)) return file;
  return undefined;
}

export class SourceGraph {
  private readonly files = new Map<string, ParsedFile>();
  private readonly aliases = aliasTargets();

  resolveModule(specifier: string, from: string): string | undefined {
    if (specifier.startsWith('.')) return asSourceFile(resolve(dirname(from), specifier));
    for (const [alias, target] of this.aliases) {
      if (alias.endsWith('/*') && specifier.startsWith(alias.slice(0, -1))) {
        return asSourceFile(join(REPO_ROOT, target.replace('*', specifier.slice(alias.length - 1))));
      }
      if (alias === specifier) return asSourceFile(join(REPO_ROOT, target));
    }
    return undefined; // a package: not ours to read
  }

  parse(path: string): ParsedFile {
    const known = this.files.get(path);
    if (known) return known;
    const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
    const parsed: ParsedFile = {
      path,
      source,
      declarations: new Map(),
      imports: new Map(),
      reExports: new Map(),
      exportStars: [],
    };
    const declare = (name: string, node: ts.Node) =>
      parsed.declarations.set(name, [...(parsed.declarations.get(name) ?? []), node]);
    for (const statement of source.statements) {
      if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
        const module = this.resolveModule(statement.moduleSpecifier.text, path);
        const clause = statement.importClause;
        if (!module || !clause) continue;
        if (clause.name) parsed.imports.set(clause.name.text, { module, name: 'default' });
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings))
          parsed.imports.set(bindings.name.text, { module, name: '*' });
        if (bindings && ts.isNamedImports(bindings)) {
          for (const element of bindings.elements) {
            parsed.imports.set(element.name.text, {
              module,
              name: (element.propertyName ?? element.name).text,
            });
          }
        }
      } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier) {
        const module = this.resolveModule((statement.moduleSpecifier as ts.StringLiteral).text, path);
        if (!module) continue;
        const clause = statement.exportClause;
        if (!clause) parsed.exportStars.push(module);
        else if (ts.isNamedExports(clause)) {
          for (const element of clause.elements) {
            parsed.reExports.set(element.name.text, {
              module,
              name: (element.propertyName ?? element.name).text,
            });
          }
        }
      } else if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          if (ts.isIdentifier(declaration.name)) declare(declaration.name.text, declaration);
        }
      } else if (
        (ts.isFunctionDeclaration(statement) ||
          ts.isClassDeclaration(statement) ||
          ts.isEnumDeclaration(statement) ||
          ts.isInterfaceDeclaration(statement) ||
          ts.isTypeAliasDeclaration(statement)) &&
        statement.name
      ) {
        declare(statement.name.text, statement);
      }
    }
    this.files.set(path, parsed);
    return parsed;
  }

  /** The file that declares `name` as exported from `module` (through re-exports and `export *`). */
  findDeclaration(
    module: string,
    name: string,
    seen = new Set<string>(),
  ): { file: string; name: string } | undefined {
    if (seen.has(module)) return undefined;
    seen.add(module);
    const parsed = this.parse(module);
    if (parsed.declarations.has(name)) return { file: module, name };
    const reExport = parsed.reExports.get(name);
    if (reExport) return this.findDeclaration(reExport.module, reExport.name, seen);
    for (const star of parsed.exportStars) {
      const found = this.findDeclaration(star, name, seen);
      if (found) return found;
    }
    return undefined;
  }
}

function isNamePosition(node: ts.Identifier): boolean {
  const parent = node.parent;
  return (
    (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
    (ts.isPropertyAssignment(parent) && parent.name === node) ||
    (ts.isQualifiedName(parent) && parent.right === node) ||
    ((ts.isVariableDeclaration(parent) ||
      ts.isFunctionDeclaration(parent) ||
      ts.isClassDeclaration(parent) ||
      ts.isParameter(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isBindingElement(parent) ||
      ts.isImportSpecifier(parent) ||
      ts.isExportSpecifier(parent)) &&
      (parent as { name?: ts.Node }).name === node)
  );
}

/** `Object.keys(X)`, `Object.values(X)`, `Object.entries(X)`: X is enumerated, not read. */
function isEnumerated(node: ts.Identifier): boolean {
  const call = node.parent;
  if (!ts.isCallExpression(call) || !call.arguments.includes(node)) return false;
  const callee = call.expression;
  return (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'Object' &&
    ENUMERATORS.has(callee.name.text)
  );
}

/** The variable named by `TABLE.entry` when TABLE is an object literal of variable names (`Object.freeze`d or not). */
function tableEntry(declarations: ts.Node[] | undefined, entry: string): string | undefined {
  for (const declaration of declarations ?? []) {
    if (!ts.isVariableDeclaration(declaration) || !declaration.initializer) continue;
    let value: ts.Expression = declaration.initializer;
    while (ts.isAsExpression(value) || ts.isParenthesizedExpression(value)) value = value.expression;
    if (ts.isCallExpression(value) && value.arguments[0]) value = value.arguments[0];
    while (ts.isAsExpression(value)) value = value.expression;
    if (!ts.isObjectLiteralExpression(value)) continue;
    for (const property of value.properties) {
      if (
        ts.isPropertyAssignment(property) &&
        ts.isIdentifier(property.name) &&
        property.name.text === entry &&
        ts.isStringLiteral(property.initializer) &&
        VARIABLE.test(property.initializer.text)
      ) {
        return property.initializer.text;
      }
    }
  }
  return undefined;
}

/** The CREDROAM_* variables a service reads, from apps/<service>/src/main.ts. */
export function variablesReadBy(service: string, graph = new SourceGraph()): Set<string> {
  const found = new Set<string>();
  const done = new Set<string>();
  const queue: { file: string; nodes: ts.Node[] }[] = [];
  const main = join(REPO_ROOT, 'apps', service, 'src', 'main.ts');
  queue.push({ file: main, nodes: [graph.parse(main).source] });

  const enqueue = (file: string, name: string) => {
    const key = `${file}#${name}`;
    if (done.has(key)) return;
    done.add(key);
    const nodes = graph.parse(file).declarations.get(name);
    if (nodes) queue.push({ file, nodes });
  };
  const resolveName = (parsed: ParsedFile, name: string): { file: string; name: string } | undefined => {
    if (parsed.declarations.has(name)) return { file: parsed.path, name };
    const imported = parsed.imports.get(name);
    if (!imported || imported.name === '*') return undefined;
    return graph.findDeclaration(imported.module, imported.name);
  };

  while (queue.length > 0) {
    const { file, nodes } = queue.shift() as { file: string; nodes: ts.Node[] };
    const parsed = graph.parse(file);
    const visit = (node: ts.Node): void => {
      if (
        (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) &&
        VARIABLE.test(node.text)
      ) {
        if (!ts.isImportDeclaration(node.parent) && !ts.isExportDeclaration(node.parent))
          found.add(node.text);
        return;
      }
      if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
        const owner = node.expression.text;
        const target = resolveName(parsed, owner);
        const variable =
          target && tableEntry(graph.parse(target.file).declarations.get(target.name), node.name.text);
        if (variable) {
          found.add(variable);
          return;
        }
        const imported = parsed.imports.get(owner);
        if (imported?.name === '*') {
          const declared = graph.findDeclaration(imported.module, node.name.text);
          if (declared) enqueue(declared.file, declared.name);
        }
      }
      if (ts.isIdentifier(node)) {
        if (isNamePosition(node)) {
          const isProperty =
            ts.isPropertyAccessExpression(node.parent) || ts.isPropertyAssignment(node.parent);
          if (isProperty && VARIABLE.test(node.text)) found.add(node.text);
        } else if (!isEnumerated(node)) {
          const target = resolveName(parsed, node.text);
          if (target) enqueue(target.file, target.name);
        }
        return;
      }
      ts.forEachChild(node, visit);
    };
    for (const node of nodes) visit(node);
  }
  return found;
}

/** The deployed services: those `scripts/lib/run-service.cjs` can start. */
export function deployedServices(): string[] {
  const text = readFileSync(join(REPO_ROOT, 'scripts', 'lib', 'run-service.cjs'), 'utf8');
  const list = /const APPS = \[([^\]]+)\]/.exec(text)?.[1];
  if (!list) throw new Error('scripts/lib/run-service.cjs: no APPS list');
  return [...list.matchAll(/'([a-z-]+)'/g)].map((match) => match[1] as string);
}
