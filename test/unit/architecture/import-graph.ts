/**
 * The import graph of the source, for the architecture test: imports found with regular
 * expressions (static, type-only, re-exports and dynamic imports alike) on the source with
 * comments removed, and the cycles of the graph.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

/** Every `.ts` file below `dir` (declarations excluded). */
export function listTsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listTsFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Source without comments; string contents are kept (a "://" in a URL is not a comment). */
export function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** Every module specifier a TypeScript source imports or re-exports, statically or dynamically. */
export function collectImports(source: string): string[] {
  const code = stripComments(source);
  const found: string[] = [];
  const patterns = [
    /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?[^'"`;]*?\sfrom\s*["']([^"']+)["']/g,
    /(?:^|[\s;])import\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) found.push(m[1] as string);
  return found;
}

/**
 * The cycles of a directed graph (module → the modules it imports): each group of modules that
 * reach one another, as its members in the order the depth-first search met them, and a module
 * that imports itself. Edges to modules outside the graph are ignored. Tarjan's algorithm.
 *
 * @example findImportCycles(new Map([["a", ["b"]], ["b", ["a"]]])) // [["a", "b"]]
 */
export function findImportCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    lowLink.set(node, index.get(node) as number);
    stack.push(node);
    onStack.add(node);
    const targets = (graph.get(node) ?? []).filter((t) => graph.has(t));
    for (const target of targets) {
      if (!index.has(target)) {
        visit(target);
        lowLink.set(node, Math.min(lowLink.get(node) as number, lowLink.get(target) as number));
      } else if (onStack.has(target))
        lowLink.set(node, Math.min(lowLink.get(node) as number, index.get(target) as number));
    }
    if (lowLink.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (;;) {
      const member = stack.pop() as string;
      onStack.delete(member);
      component.unshift(member);
      if (member === node) break;
    }
    if (component.length > 1 || targets.includes(node)) cycles.push(component);
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}
