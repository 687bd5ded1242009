import type { IrBlockDelta, IrBlockStart, IrStreamEvent } from '../ir/stream';

/**
 * Keeps the IR stream invariant for decoders: blocks get indices 0, 1, 2 … in opening order and at most one is
 * open at a time (opening one closes the previous), which is what Anthropic clients require.
 */
export class BlockSequencer {
  private next = 0;
  private openBlock: { index: number; type: IrBlockStart['type'] } | undefined;

  get current(): { index: number; type: IrBlockStart['type'] } | undefined {
    return this.openBlock;
  }

  open(block: IrBlockStart): { index: number; events: IrStreamEvent[] } {
    const events = this.close();
    const index = this.next++;
    this.openBlock = { index, type: block.type };
    events.push({ type: 'block_start', index, block });
    return { index, events };
  }

  /** A delta for a text or thinking block: continues the open block of that type or opens a new one. */
  delta(block: IrBlockStart, delta: IrBlockDelta): IrStreamEvent[] {
    if (this.openBlock?.type === block.type)
      return [{ type: 'block_delta', index: this.openBlock.index, delta }];
    const { index, events } = this.open(block);
    events.push({ type: 'block_delta', index, delta });
    return events;
  }

  close(): IrStreamEvent[] {
    if (!this.openBlock) return [];
    const index = this.openBlock.index;
    this.openBlock = undefined;
    return [{ type: 'block_stop', index }];
  }
}
