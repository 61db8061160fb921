// The import rule of docs/ARCHITECTURE.md, checked on the source itself: every module may
// import its own folder and the layers below it, never a layer above. A new folder must be
// given a layer here before it can be imported at all, so the rule cannot be bypassed by
// adding one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SRC = join(REPO, 'src');

/** Lowest first. Folders on one layer are peers: neither imports the other. */
export const LAYERS: readonly (readonly string[])[] = [
  ['errors', 'events'],
  ['config'],
  ['logging'],
  ['process'],
  ['pools', 'supervisor', 'stats'],
  ['control'],
  ['rpc'],
  ['fleet'],
  ['http', 'ctl'],
  ['web', 'web/assets', 'web/client'],
  ['daemon'],
  ['cli'],
];

function layerOf(folder: string): number {
  const i = LAYERS.findIndex((l) => l.includes(folder));
  return i;
}

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (name.endsWith('.ts')) yield p;
  }
}

interface Edge { from: string; to: string; fromFolder: string; toFolder: string }

function edges(): Edge[] {
  const out: Edge[] = [];
  const spec = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g;
  for (const file of tsFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(spec)) {
      const target = normalize(join(dirname(file), m[1] ?? m[2]!)).replace(/\.js$/, '.ts');
      out.push({
        from: relative(SRC, file),
        to: relative(SRC, target),
        fromFolder: relative(SRC, dirname(file)),
        toFolder: relative(SRC, dirname(target)),
      });
    }
  }
  return out;
}

test('every folder under src/ has a layer', () => {
  const folders = new Set(edges().flatMap((e) => [e.fromFolder, e.toFolder]));
  const missing = [...folders].filter((f) => layerOf(f) < 0);
  assert.deepEqual(missing, [], 'give these folders a layer in test/architecture/layers.test.ts and docs/ARCHITECTURE.md');
});

test('imports point down: no module imports from its own layer\'s peers or a layer above', () => {
  const up = edges()
    .filter((e) => e.fromFolder !== e.toFolder && !e.toFolder.startsWith(e.fromFolder + '/') && layerOf(e.toFolder) >= layerOf(e.fromFolder))
    .map((e) => `${e.from} -> ${e.to}`);
  assert.deepEqual(up, []);
});

test('no cycle between folders', () => {
  const graph = new Map<string, Set<string>>();
  for (const e of edges()) {
    if (e.fromFolder === e.toFolder) continue;
    if (!graph.has(e.fromFolder)) graph.set(e.fromFolder, new Set());
    graph.get(e.fromFolder)!.add(e.toFolder);
  }
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (n: string, path: string[]): void => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'open') {
      cycles.push([...path.slice(path.indexOf(n)), n].join(' -> '));
      return;
    }
    state.set(n, 'open');
    for (const m of graph.get(n) ?? []) visit(m, [...path, n]);
    state.set(n, 'done');
  };
  for (const n of graph.keys()) visit(n, []);
  assert.deepEqual(cycles, []);
});
