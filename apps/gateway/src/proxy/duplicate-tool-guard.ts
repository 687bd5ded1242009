import type { IrRequest } from '@sluice/protocols';
import { GatewayError } from '../common/gateway-error';

import type { GatewayConfig } from '@sluice/config';

export type DuplicateGuardThresholds = GatewayConfig['duplicateToolGuard'];
export type DuplicateVerdict = {
  action: 'none' | 'warn' | 'insist' | 'reject';
  repeats: number;
  tool: string | null;
};

/** Same call = same tool name and the same arguments, whatever their key order or spacing. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

function signature(name: string, args: string): string {
  try {
    return `${name}:${JSON.stringify(canonical(JSON.parse(args)))}`;
  } catch {
    return `${name}:${args.trim()}`;
  }
}

/**
 * An agent stuck in a loop sends the same tool call, with the same arguments, turn after turn.
 * Counts how many of the conversation's last assistant turns made exactly the same call(s); a turn
 * with another call, or without calls, ends the run. The verdict escalates with the thresholds.
 */
export function duplicateToolCalls(ir: IrRequest, thresholds: DuplicateGuardThresholds): DuplicateVerdict {
  if (!thresholds) return { action: 'none', repeats: 0, tool: null };
  let run = 0;
  let last: string | null = null;
  let tool: string | null = null;
  for (let i = ir.messages.length - 1; i >= 0; i--) {
    const m = ir.messages[i]!;
    if (m.role !== 'assistant') continue;
    const names: string[] = [];
    const calls: string[] = [];
    for (const p of m.content) {
      if (p.type === 'tool_call') {
        names.push(p.name);
        calls.push(signature(p.name, p.arguments));
      } else if (p.type === 'custom_tool_call') {
        names.push(p.name);
        calls.push(`${p.name}:${p.input}`);
      }
    }
    if (calls.length === 0) break;
    const sig = calls.join('\u0000');
    if (last !== null && sig !== last) break;
    last = sig;
    tool ??= names.join(', ');
    run += 1;
  }
  const action =
    run >= thresholds.reject
      ? 'reject'
      : run >= thresholds.insist
        ? 'insist'
        : run >= thresholds.warn
          ? 'warn'
          : 'none';
  return { action, repeats: run, tool };
}

export function guardMessage(v: DuplicateVerdict): string {
  const what = `the tool call ${v.tool ?? ''} with the same arguments ${v.repeats} times in a row`.replace(
    '  ',
    ' ',
  );
  return v.action === 'insist'
    ? `URGENT: you have made ${what}, and it keeps giving the same result. Do not call it again with these arguments. Change your approach, use another tool, or answer with what you know.`
    : `Warning: you have made ${what}. Repeating it will not change the result; try something different.`;
}

/**
 * Applies the guard to a decoded request, on every path: at the reject threshold the request is
 * refused (400); below it a warning is added as a system instruction, and the caller must then
 * encode the request from the IR (even to its own protocol). Returns whether it changed the request.
 */
export function enforceDuplicateGuard(
  ir: IrRequest,
  thresholds: DuplicateGuardThresholds,
  onVerdict: (v: DuplicateVerdict) => void,
): boolean {
  const verdict = duplicateToolCalls(ir, thresholds);
  if (verdict.action === 'none') return false;
  onVerdict(verdict);
  if (verdict.action === 'reject') {
    throw new GatewayError(
      400,
      'invalid_request',
      `Infinite loop detected: the tool call ${verdict.tool ?? ''} was repeated with the same arguments ${verdict.repeats} times in a row. Change the approach before calling it again.`,
    );
  }
  ir.system.push({ role: 'system', text: guardMessage(verdict) });
  return true;
}
