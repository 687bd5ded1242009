import { Injectable } from '@nestjs/common';
import { GatewayError } from '../common/gateway-error';
import { LOOPBACK_MODEL, LOOPBACK_PROVIDER } from '../providers/loopback.provider';

export type Route = { provider: string; model: string };

/**
 * Model name -> provider. The foundation knows the built-in loopback model only; provider routes
 * from the environment and sluice.yaml come with the dual-native gateway (issue 3). An unrouted
 * model is a 404 `model_not_found`: it is never answered by loopback in disguise.
 */
@Injectable()
export class ModelRouter {
  resolve(model: string): Route {
    if (model === LOOPBACK_MODEL) return { provider: LOOPBACK_PROVIDER, model };
    throw new GatewayError(
      404,
      'model_not_found',
      `The model '${model}' does not exist or no provider is configured for it.`,
      'model',
    );
  }

  models(): Array<{ id: string; ownedBy: string }> {
    return [{ id: LOOPBACK_MODEL, ownedBy: 'sluice' }];
  }
}
