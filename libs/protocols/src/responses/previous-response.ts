import { isObj, type Obj } from '../common/json';
import { ProtocolError } from '../errors/error-shapes';

/**
 * What the gateway keeps of a translated response so that a later `previous_response_id` can continue it: the
 * full input the response was made from (itself already expanded) and its output items. Plain JSON, so any store
 * (Postgres, the embedded one) can hold it.
 */
export interface StoredResponsesTurn {
  id: string;
  input: unknown[];
  output: unknown[];
  /** Unix seconds; the store's time limit is the caller's business. */
  createdAtSec: number;
}

/** The input of a request as an item list (`input: "text"` is one user message). */
export const inputItemsOf = (body: Obj): unknown[] => {
  const input = body.input;
  if (typeof input === 'string')
    return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }];
  return Array.isArray(input) ? input : [];
};

/**
 * Resolves `previous_response_id` statelessly from the caller's stored turn: returns the body with the full
 * conversation in `input` (previous input, previous output, then the new input) and without
 * `previous_response_id`, ready for `decodeResponsesRequest`. As in OpenAI's API, the earlier `instructions` are
 * not carried over: only the new request's apply. Pass `undefined` when the store has nothing (expired, unknown
 * id, or stored by another tenant): that is OpenAI's 400 `previous_response_not_found`.
 */
export const expandPreviousResponse = (body: Obj, previous: StoredResponsesTurn | undefined): Obj => {
  const id = body.previous_response_id;
  if (typeof id !== 'string' || id === '') return body;
  if (!previous || previous.id !== id) {
    throw new ProtocolError({
      status: 400,
      kind: 'invalid_request',
      message: `Previous response with id '${id}' not found.`,
      param: 'previous_response_id',
      code: 'previous_response_not_found',
    });
  }
  if (body.conversation !== undefined && body.conversation !== null) {
    throw new ProtocolError({
      status: 400,
      kind: 'invalid_request',
      message: "Cannot use both 'previous_response_id' and 'conversation'.",
      param: 'previous_response_id',
    });
  }
  const out: Obj = {
    ...body,
    input: [...previous.input, ...previous.output.filter(isObj), ...inputItemsOf(body)],
  };
  delete out.previous_response_id;
  return out;
};
