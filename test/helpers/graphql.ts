/** A GraphQL call as any client makes it: POST /graphql with the admin key. */
export async function graphql<T>(
  baseUrl: string,
  key: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ data: T | null; errors?: Array<{ message: string; extensions?: { code?: string } }> }> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as {
    data: T | null;
    errors?: Array<{ message: string; extensions?: { code?: string } }>;
  };
}

export const REQUEST_QUERY = `query ($id: ID!) { request(id: $id) { id team key endpoint model modelServed provider stream status errorCode latencyMs ttfbMs receivedAt tokens { input inputUncached output } } }`;

export type AuditView = {
  id: string;
  team: string;
  key: string | null;
  endpoint: string;
  model: string | null;
  modelServed: string | null;
  provider: string | null;
  stream: boolean;
  status: number;
  errorCode: string | null;
  latencyMs: number;
  ttfbMs: number | null;
  receivedAt: string;
  tokens: { input: number; inputUncached: number; output: number };
};
