export { announcer } from './announce';
export { channelSecrets, httpChannels } from './channels';
export { clientConfig } from './clients';
export {
  ADVANCED_TIER_BYTES,
  CONFIG_REJECTED_MESSAGE,
  decodeConfigDocument,
  encodeConfigDocument,
  STANDARD_TIER_BYTES,
} from './config-parameter';
export { accountCredentials } from './credentials';
export { sendToDeadLetter } from './dead-letter';
export { createEnforcement, type Enforcement } from './enforcement';
export {
  AuditWriteError,
  awsErrorCode,
  ConfigUnavailableError,
  DriftguardError,
  EventInProgressError,
  ExemptionUseError,
  errorMessage,
  InvalidEventError,
  SweepScopeError,
} from './errors';
export { deliveryKey, exactlyOnce, supersedingEvent } from './exactly-once';
export { type AccountClients, accountClients, createExecutor, type Executor } from './executor';
export { decodePolicyDocument, restoreIsolation } from './executor/playbooks';
export {
  type ApiAnswer,
  type ApiCall,
  type ApiOperation,
  type ApiRefusal,
  type ApiTrace,
  apiOperation,
  exemptionApiLoader,
} from './exemption-api';
export { checkExpiredExemptions } from './exemption-expiry';
export { liveFactReader } from './live-facts';
export type { DriftguardLogger, LogFields } from './log';
export { organizationReader } from './organization';
export {
  createPipeline,
  type Notifier,
  type Pipeline,
  type PipelineOptions,
  type ProcessedEvent,
} from './pipeline';
export { accountPlacementReader } from './placement';
export { enabledRegions, parseList } from './regions';
export { configFromEnv, type Runtime, type RuntimeEnv, runtimeFromEnv } from './runtime';
export { runtimeLoader } from './runtime-loader';
export { securityHubFindingId, securityHubNotifier } from './security-hub';
export { publishToSns } from './sns';
export {
  type AuditRecord,
  type AuditStore,
  auditReader,
  auditRecordOf,
  dynamoAuditStore,
  dynamoNotificationLedger,
} from './store/audit';
export { type BreakerStore, dynamoBreakerStore, memoryBreakerStore } from './store/breaker';
export { isConditionFailure } from './store/conditional';
export { type DedupeStore, dynamoDedupeStore, memoryDedupeStore } from './store/dedupe';
export { stateDocumentClient } from './store/document-client';
export { dynamoExemptionStore, type ExemptionRecord, type ExemptionStore } from './store/exemptions';
export { dynamoFindingMarkStore, type FindingMarkStore, memoryFindingMarkStore } from './store/findings';
export { dynamoHighWaterStore, memoryHighWaterStore } from './store/high-water';
export {
  dynamoIsolationStore,
  type IsolationStore,
  isolationStoreForTable,
  memoryIsolationStore,
} from './store/isolations';
export {
  type DeferredSnapshots,
  deferredSnapshots,
  dynamoSnapshotStore,
  memorySnapshotStore,
  type Snapshot,
  type SnapshotKey,
  type SnapshotStore,
  snapshotKeyOf,
} from './store/snapshots';
export { dynamoSweepRunStore, type SweepRun, type UnitResult } from './store/sweep-runs';
export { ensureStateTable, keys, TABLE_KEYS } from './store/table';
export { dynamoTicketStore } from './store/tickets';
export {
  DESCRIBERS,
  type Describer,
  describersFor,
  ec2SharesDescriber,
  ecrRepositoryPoliciesDescriber,
  forEachBounded,
  itemFailed,
  kmsKeyPoliciesDescriber,
  lambdaFunctionsDescriber,
  prefixListsDescriber,
  rdsSnapshotSharesDescriber,
  runSweep,
  type SweepHandled,
  type SweepItemReport,
  type SweepReport,
  s3AccessPointsDescriber,
  secretPoliciesDescriber,
  securityGroupsDescriber,
  snsTopicPoliciesDescriber,
  sqsQueuePoliciesDescriber,
  sweepEvent,
  vpcPeeringDescriber,
} from './sweep/index';
export { planSweep, type SweepEnv, sweepRuntimeFromEnv, sweepWorker } from './sweep-fanout/index';
export { homeEc2, resolveSweepScope } from './sweep-scope';
