import type { ProtocolId } from '../ir/common';

export type ToolKind = 'function' | 'custom';

interface Entry {
  original: string;
  wire: string;
  kind: ToolKind;
}

// Anthropic and OpenAI: [a-zA-Z0-9_-]{1,64} (Anthropic has accepted up to 128 since mid-2025, 64 is valid for
// both). Gemini: starts with a letter or underscore, [a-zA-Z0-9_.:-]{1,128}.
const RULES: Record<ProtocolId, { invalid: RegExp; max: number; mustStartAlpha: boolean }> = {
  'openai-chat': { invalid: /[^a-zA-Z0-9_-]/g, max: 64, mustStartAlpha: false },
  'openai-responses': { invalid: /[^a-zA-Z0-9_-]/g, max: 64, mustStartAlpha: false },
  anthropic: { invalid: /[^a-zA-Z0-9_-]/g, max: 64, mustStartAlpha: false },
  gemini: { invalid: /[^a-zA-Z0-9_.:-]/g, max: 128, mustStartAlpha: true },
};

/** Makes `name` valid for `target` (MCP names like `github.create_issue` or `a/b` are the usual offenders). */
export const sanitizeToolName = (name: string, target: ProtocolId): string => {
  const rule = RULES[target];
  let out = name.replace(rule.invalid, '_');
  if (out.length === 0) out = 'tool';
  if (rule.mustStartAlpha && !/^[a-zA-Z_]/.test(out)) out = `_${out}`;
  return out.slice(0, rule.max);
};

/**
 * The tool names of one request as the client knows them and as the upstream sees them, plus each tool's kind,
 * so that a response can be mapped back (names restored, custom-tool calls turned back into raw input).
 */
export class ToolNameMap {
  private readonly byOriginal = new Map<string, Entry>();
  private readonly byWire = new Map<string, Entry>();

  constructor(readonly target: ProtocolId) {}

  /** Registers a tool and returns its wire name, unique within the request. */
  add(original: string, kind: ToolKind): string {
    const known = this.byOriginal.get(original);
    if (known) return known.wire;
    const base = sanitizeToolName(original, this.target);
    let wire = base;
    for (let n = 2; this.byWire.has(wire); n++) {
      const suffix = `_${n}`;
      wire = base.slice(0, RULES[this.target].max - suffix.length) + suffix;
    }
    const entry: Entry = { original, wire, kind };
    this.byOriginal.set(original, entry);
    this.byWire.set(wire, entry);
    return wire;
  }

  /** Wire name for a name the client used (names of tools not declared are sanitized on the fly). */
  toWire(original: string): string {
    return this.byOriginal.get(original)?.wire ?? sanitizeToolName(original, this.target);
  }

  /** The client's name for a name the upstream used. */
  toOriginal(wire: string): string {
    return this.byWire.get(wire)?.original ?? wire;
  }

  kindOfWire(wire: string): ToolKind {
    return this.byWire.get(wire)?.kind ?? 'function';
  }

  kindOf(original: string): ToolKind {
    return this.byOriginal.get(original)?.kind ?? 'function';
  }

  get size(): number {
    return this.byOriginal.size;
  }
}
