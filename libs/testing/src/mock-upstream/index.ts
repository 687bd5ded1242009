export { MockUpstream } from './mock-upstream';
export type {
  MockCustomToolCall,
  MockEndpoint,
  MockError,
  MockFunctionCall,
  MockMatch,
  MockProtocol,
  MockScriptStep,
  MockStopReason,
  MockToolCall,
  MockTurn,
  MockUpstreamOptions,
  MockUsage,
  RecordedRequest,
} from './mock-upstream.types';
export { splitText } from './resolved-turn';
export { lastToolResult, toolResults, type MockToolResult } from './tool-results';
