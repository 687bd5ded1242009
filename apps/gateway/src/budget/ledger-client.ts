import { request } from 'undici';
import {
  LEASE_SYNC_PATH,
  leaseSyncResponseSchema,
  TEAM_PRICE_PATH,
  teamPriceResponseSchema,
  type LeaseSyncRequest,
  type LeaseSyncResponse,
  type TeamPriceResponse,
} from '@sluice/budgets';

export class LedgerUnavailableError extends Error {
  override readonly name = 'LedgerUnavailableError';
}

/** The ledger's lease and price endpoints, as the gateway calls them (service to service, the admin key). */
export interface LedgerBudgetClient {
  sync(req: LeaseSyncRequest): Promise<LeaseSyncResponse>;
  teamPrice(teamId: string, provider: string, model: string): Promise<TeamPriceResponse>;
}

export class HttpLedgerBudgetClient implements LedgerBudgetClient {
  constructor(
    private readonly baseUrl: () => string | null,
    private readonly key: string,
    private readonly timeoutMs = 5_000,
  ) {}

  async sync(req: LeaseSyncRequest): Promise<LeaseSyncResponse> {
    return leaseSyncResponseSchema.parse(await this.call('POST', LEASE_SYNC_PATH, JSON.stringify(req)));
  }

  async teamPrice(teamId: string, provider: string, model: string): Promise<TeamPriceResponse> {
    const q = new URLSearchParams({ team: teamId, provider, model });
    return teamPriceResponseSchema.parse(
      await this.call('GET', `${TEAM_PRICE_PATH}?${q.toString()}`, undefined),
    );
  }

  private async call(method: 'GET' | 'POST', path: string, body: string | undefined): Promise<unknown> {
    const base = this.baseUrl();
    if (!base) throw new LedgerUnavailableError('the ledger URL is not known yet');
    let res;
    try {
      res = await request(new URL(path, base), {
        method,
        headers: {
          authorization: `Bearer ${this.key}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body } : {}),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (err) {
      throw new LedgerUnavailableError(`ledger ${method} ${path.split('?')[0]}: ${(err as Error).message}`);
    }
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      throw new LedgerUnavailableError(`ledger ${method} ${path.split('?')[0]} answered ${res.statusCode}`);
    }
    return JSON.parse(text) as unknown;
  }
}
