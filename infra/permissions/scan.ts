import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { LIBRARY_CALLS, type SdkCallKind } from './iam-actions';

/** One place in the source that makes (or makes a library make) an AWS call. */
export interface SdkCall {
  /** Repository-relative path, `/`-separated. */
  file: string;
  line: number;
  module: string;
  name: string;
  kind: SdkCallKind;
  /** Named functions around the call, innermost first (for documented exclusions). */
  enclosing: string[];
}

export class UnsupportedSdkUsageError extends Error {}

interface ImportedName {
  module: string;
  /** The exported name (differs from the local one for `import { A as B }`). */
  exported: string;
}

const isSdkModule = (module: string) =>
  module.startsWith('@aws-sdk/client-') || module === '@aws-sdk/lib-dynamodb';

/** Value imports of SDK modules and known libraries, by local name; `* as ns` imports by namespace. */
function collectImports(source: ts.SourceFile) {
  const named = new Map<string, ImportedName>();
  const namespaces = new Map<string, string>();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const module = statement.moduleSpecifier.text;
    const relevant =
      isSdkModule(module) || Object.keys(LIBRARY_CALLS).some((key) => key.startsWith(`${module}:`));
    const clause = statement.importClause;
    if (!relevant || !clause || clause.isTypeOnly) continue;
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) namespaces.set(bindings.name.text, module);
    if (bindings && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) {
        if (element.isTypeOnly) continue;
        named.set(element.name.text, { module, exported: (element.propertyName ?? element.name).text });
      }
    }
  }
  return { named, namespaces };
}

function enclosingNames(node: ts.Node): string[] {
  const found: string[] = [];
  for (let current = node.parent; current; current = current.parent) {
    if (ts.isFunctionDeclaration(current) && current.name) found.push(current.name.text);
    else if (
      (ts.isArrowFunction(current) || ts.isFunctionExpression(current)) &&
      ts.isVariableDeclaration(current.parent)
    ) {
      if (ts.isIdentifier(current.parent.name)) found.push(current.parent.name.text);
    } else if (
      (ts.isMethodDeclaration(current) || ts.isPropertyAssignment(current)) &&
      ts.isIdentifier(current.name)
    ) {
      found.push(current.name.text);
    }
  }
  return found;
}

/** `typeof QueryCommand` and other type-level references send nothing. */
function inTypePosition(node: ts.Node): boolean {
  for (let current = node.parent; current && !ts.isStatement(current); current = current.parent) {
    if (ts.isTypeNode(current)) return true;
  }
  return false;
}

/** Classifies a referenced SDK export: what kind of call it is and which operation it names. */
function classify(
  imported: ImportedName,
  constructed: boolean,
): { kind: SdkCallKind; name: string } | undefined {
  const { module, exported } = imported;
  if (!isSdkModule(module)) {
    return `${module}:${exported}` in LIBRARY_CALLS ? { kind: 'library', name: exported } : undefined;
  }
  if (constructed && exported.endsWith('Command'))
    return { kind: 'command', name: exported.slice(0, -'Command'.length) };
  if (!constructed && exported.startsWith('paginate'))
    return { kind: 'paginator', name: exported.slice('paginate'.length) };
  if (!constructed && exported.startsWith('waitUntil'))
    return { kind: 'waiter', name: exported.slice('waitUntil'.length) };
  if (!constructed && exported.startsWith('waitFor'))
    return { kind: 'waiter', name: exported.slice('waitFor'.length) };
  if (constructed && !/(Client|Exception|Error)$/.test(exported) && exported !== 'DynamoDBDocument') {
    // `new EC2({...})` and friends: aggregated clients hide the operations they send.
    throw new UnsupportedSdkUsageError(
      `new ${exported}() from ${module}: use ${exported}Client with XxxCommand so the permissions can be derived`,
    );
  }
  if (constructed && exported === 'DynamoDBDocument') {
    throw new UnsupportedSdkUsageError('new DynamoDBDocument(): use DynamoDBDocumentClient with XxxCommand');
  }
  return undefined;
}

/**
 * Every AWS call one TypeScript file can make: `new XxxCommand(…)`, `paginateXxx(…)`,
 * `waitUntilXxx(…)` from `@aws-sdk/*` value imports (aliases and namespace imports included), and
 * library entry points listed in LIBRARY_CALLS. Type-only imports are ignored.
 */
export function scanSource(file: string, text: string): SdkCall[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const { named, namespaces } = collectImports(source);
  const calls: SdkCall[] = [];

  const resolve = (expression: ts.Expression): ImportedName | undefined => {
    if (ts.isIdentifier(expression)) return named.get(expression.text);
    if (ts.isPropertyAccessExpression(expression) && ts.isIdentifier(expression.expression)) {
      const module = namespaces.get(expression.expression.text);
      if (module) return { module, exported: expression.name.text };
    }
    return undefined;
  };

  const record = (node: ts.Node, imported: ImportedName, constructed: boolean) => {
    const classified = classify(imported, constructed);
    if (!classified) return;
    calls.push({
      file,
      line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
      module: imported.module,
      name: classified.name,
      kind: classified.kind,
      enclosing: enclosingNames(node),
    });
  };

  const visit = (node: ts.Node) => {
    if (ts.isNewExpression(node)) {
      const imported = resolve(node.expression);
      if (imported) record(node, imported, true);
    } else if (ts.isCallExpression(node)) {
      const imported = resolve(node.expression);
      if (imported) record(node, imported, false);
    } else if (ts.isIdentifier(node) && !ts.isImportSpecifier(node.parent) && !inTypePosition(node)) {
      // A command class passed around as a value would be sent out of sight of this scan.
      const imported = named.get(node.text);
      const constructedHere = ts.isNewExpression(node.parent) && node.parent.expression === node;
      if (
        imported &&
        isSdkModule(imported.module) &&
        imported.exported.endsWith('Command') &&
        !constructedHere
      ) {
        throw new UnsupportedSdkUsageError(
          `${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}: ${node.text} is used as a value; construct commands where they are sent (new ${node.text}(…)) so the permissions can be derived`,
        );
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return calls;
}

/** `.ts` files at `path` (a file, or a directory searched recursively), skipping tests and declarations. */
export function sourceFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return isSource(path) ? [path] : [];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => (entry === 'node_modules' ? [] : sourceFiles(join(path, entry))));
}

const isSource = (path: string) => /\.ts$/.test(path) && !/\.(test|spec|d)\.ts$/.test(path);

/** Scans every source file under the given repository-relative files and directories. */
export function scanPaths(root: string, paths: readonly string[]): SdkCall[] {
  return paths.flatMap((dir) =>
    sourceFiles(join(root, dir)).flatMap((path) =>
      scanSource(relative(root, path).split('\\').join('/'), readFileSync(path, 'utf8')),
    ),
  );
}
