export { MoneyError, type MoneyErrorCode } from './money-error';
export {
  MAX_NANO_USD,
  NANO_USD_PER_USD,
  NANO_USD_SCALE,
  formatNanoUsd,
  parseNanoUsd,
  usdToNano,
  type FormatNanoUsdOptions,
  type NanoUsd,
} from './nano-usd';
export { divideRounded, type RoundedQuotient, type RoundingMode } from './rounding';
export {
  FEMTO_USD_PER_NANO_USD,
  LEDGER_ROUNDING_MODE,
  TOKENS_PER_PRICE_UNIT,
  costOf,
  exactCostFemtoUsd,
  roundFemtoUsd,
  usdPerMillionToPrice,
  type Cost,
  type PricePerMillionNanoUsd,
} from './cost';
