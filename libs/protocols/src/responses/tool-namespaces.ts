import { createHash } from 'node:crypto';
import type { IrTool } from '../ir/request';

/** What a flattened tool name stands for on the Responses side. */
export interface ResponsesToolRef {
  name: string;
  namespace?: string;
}

// The strictest common rule among the targets (OpenAI and Anthropic: [a-zA-Z0-9_-]{1,64}); a flattened name that
// passes it needs no further renaming downstream, so the upstream sees the same name the map was built with.
const VALID = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX = 64;
const SEPARATOR = '__';

const sanitize = (s: string): string => s.replace(/[^a-zA-Z0-9_-]/g, '_');

const shortHash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 8);

const keyOf = (ref: ResponsesToolRef): string =>
  ref.namespace === undefined ? ref.name : `${ref.namespace}\u0000${ref.name}`;

/**
 * Reversible map between Responses tool identities (`name`, optionally inside a `namespace` tool) and flat
 * function names every provider accepts. Names that are already valid and not namespaced stay as they are, so
 * the common case (`exec_command`, `apply_patch`) is untouched. Deterministic: the same tools in the same order
 * give the same names, so the map never has to be stored between turns.
 */
export class ToolNamespaceMap {
  private readonly flatByKey = new Map<string, string>();
  private readonly refByFlat = new Map<string, ResponsesToolRef>();

  /** Registers a tool (or a name seen in history) and returns its flat name. */
  flatten(ref: ResponsesToolRef): string {
    const key = keyOf(ref);
    const known = this.flatByKey.get(key);
    if (known !== undefined) return known;
    let base = ref.namespace === undefined ? ref.name : `${ref.namespace}${SEPARATOR}${ref.name}`;
    if (!VALID.test(base)) {
      base = sanitize(base);
      if (base.length === 0) base = 'tool';
      if (base.length > MAX) base = `${base.slice(0, MAX - 9)}_${shortHash(key)}`;
    }
    let flat = base;
    for (let n = 2; this.refByFlat.has(flat); n++) {
      const suffix = `_${n}`;
      flat = base.slice(0, MAX - suffix.length) + suffix;
    }
    this.flatByKey.set(key, flat);
    this.refByFlat.set(
      flat,
      ref.namespace === undefined ? { name: ref.name } : { name: ref.name, namespace: ref.namespace },
    );
    return flat;
  }

  /** The Responses identity of a flat name; unknown names are returned as plain names. */
  resolve(flat: string): ResponsesToolRef {
    return this.refByFlat.get(flat) ?? { name: flat };
  }

  has(flat: string): boolean {
    return this.refByFlat.has(flat);
  }

  entries(): [string, ResponsesToolRef][] {
    return [...this.refByFlat.entries()];
  }

  /**
   * Rebuilds the map from the IR tools of a decoded request (each flattened function/custom tool keeps its
   * `namespace`), which is how the response side recovers it without gateway state.
   */
  static fromIrTools(tools: readonly IrTool[]): ToolNamespaceMap {
    const map = new ToolNamespaceMap();
    for (const t of tools) {
      if (t.type === 'builtin') continue;
      if (t.namespace === undefined) {
        map.flatByKey.set(keyOf({ name: t.name }), t.name);
        map.refByFlat.set(t.name, { name: t.name });
        continue;
      }
      const prefix = `${t.namespace}${SEPARATOR}`;
      // Exact whenever flattening did not have to sanitize (every namespace Codex sends); otherwise the flat name
      // is the best we can give back without the decoder's map (pass `toolNames` to the encoder to be exact).
      const inner = t.name.startsWith(prefix) ? t.name.slice(prefix.length) : t.name;
      const ref = { name: inner, namespace: t.namespace };
      map.flatByKey.set(keyOf(ref), t.name);
      map.refByFlat.set(t.name, ref);
    }
    return map;
  }
}
