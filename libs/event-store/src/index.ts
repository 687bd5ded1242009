export {
  EventStore,
  WrongExpectedVersionError,
  START,
  type Checkpoint,
  type ExpectedVersion,
  type NewEvent,
  type StoredEvent,
} from './event-store';
export {
  ProjectionRunner,
  replayUpTo,
  type Projector,
  type ProjectionRunnerOptions,
} from './projection-runner';
export { SharedReads } from './shared-reads';
