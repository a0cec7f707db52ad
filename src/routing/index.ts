/**
 * graylane routing for `@grpc/grpc-js`: per-call, stage-aware routing through a custom resolver
 * (`graylane:///<service>`) and load-balancing policy, fed by a registry (static, file or etcd).
 * @packageDocumentation
 */
export { registerGrayRouting, assertGrayRouting } from './register.js';
export type { GrayRoutingOptions, GrayRouting, GraySubsetOptions } from './register.js';
export { createStaticRegistry } from './static-registry.js';
export { stageEnabledIn } from './stage-enabled.js';
export type { StaticGrayRegistry } from './static-registry.js';
export { createFileRegistry } from './file-registry.js';
export type { FileGrayRegistry, FileRegistryOptions } from './file-registry.js';
export type { RegistryFileFormat } from './file-format.js';
export { createEtcdRegistry } from './etcd-registry.js';
export type { EtcdGrayRegistry, EtcdRegistryOptions, EtcdRegistration } from './etcd-registry.js';
export type {
  GrayInstance,
  GrayFallbackMode,
  GrayServiceRules,
  GrayServiceSnapshot,
  GrayRegistry,
  GrayRegistryStatus,
  GrayRegistryHooks,
} from './types.js';
export type { GrpcModule } from './grpc-compat.js';
export { rolloutPercentIn, isRolloutRegistry } from './rollout-registry.js';
export type { GrayRolloutRegistry, GrayRolloutCampaign, GrayRolloutCampaignHandlers } from './rollout-registry.js';
export type { GrayRolloutRecord, GrayRolloutState, GrayRolloutAction, GrayRolloutDecision, GrayRolloutWindowReport } from './rollout-record.js';
