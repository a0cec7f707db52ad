/**
 * The `graylane` load-balancing policy: one subchannel per instance (or per instance of the
 * client's subset, see subset.ts), kept connected, and a picker that routes each call by its stage
 * (see stage-picker.ts). Works with grpc-js 1.10–1.14 through
 * grpc-compat.ts.
 * @packageDocumentation
 */
import type { experimental } from '@grpc/grpc-js';
import { defaultGrayPolicy } from '../core/policy.js';
import { normalizeAddressUpdate, optionsFromConstructor, type ChannelOptionsLike, type GrpcModule } from './grpc-compat.js';
import { createPickerClass } from './grpc-picker.js';
import { GRAY_POLICY_NAME, isGrayLbConfig, type GrayLbConfigJson } from './lb-config.js';
import { routingTable } from './routing-table.js';
import { StageRouter, type StagePool } from './stage-picker.js';
import { selectSubset } from './subset.js';
import { parseAddress } from './validate.js';

type Subchannel = experimental.SubchannelInterface;
type Helper = experimental.ChannelControlHelper;

interface Entry {
  readonly key: string;
  readonly subchannel: Subchannel;
  /** Per-entry listener: wrappers pass the *inner* subchannel to listeners, so identity checks fail. */
  readonly listener: (sub: unknown, prev: unknown, next: number) => void;
  readonly stage: string;
  weight: number;
  /** Failed since it was last ready (sticky until READY, like pick_first's sticky TRANSIENT_FAILURE). */
  failed: boolean;
  ready: boolean;
}

/** Builds the balancer class for one grpc-js module (its enums and picker types). */
export function createBalancerClass(mod: GrpcModule): new (helper: Helper, ...rest: unknown[]) => experimental.LoadBalancer {
  const { connectivityState: CS } = mod;

  const GrayPicker = createPickerClass(mod);

  return class GrayBalancer {
    private readonly entries = new Map<string, Entry>();
    private options: ChannelOptionsLike;
    private config: GrayLbConfigJson | undefined;
    private destroyed = false;

    constructor(private readonly helper: Helper, ...rest: unknown[]) {
      this.options = optionsFromConstructor(rest);
    }

    updateAddressList(list: unknown, config: unknown, third?: unknown): boolean {
      const update = normalizeAddressUpdate(list, third);
      if (update.options !== undefined) this.options = update.options;
      if (!isGrayLbConfig(config)) return false;
      this.config = config.json;
      this.sync(config.json);
      this.publish();
      return true;
    }

    exitIdle(): void {
      for (const entry of this.entries.values()) {
        if (entry.subchannel.getConnectivityState() === CS.IDLE) entry.subchannel.startConnecting();
      }
    }

    resetBackoff(): void {
      // Subchannels manage their own backoff; nothing is held here.
    }

    destroy(): void {
      this.destroyed = true;
      for (const key of [...this.entries.keys()]) this.drop(key);
    }

    getTypeName(): string {
      return GRAY_POLICY_NAME;
    }

    private sync(json: GrayLbConfigJson): void {
      const wanted = new Map<string, { stage: string; address: string; weight: number }>();
      const chosen = json.subset === undefined
        ? json.instances
        : selectSubset(json.instances, json.subset, (inst) => this.entries.get(`${inst.stage} ${inst.address}`)?.failed === true);
      for (const inst of chosen) wanted.set(`${inst.stage} ${inst.address}`, inst);
      for (const key of [...this.entries.keys()]) if (!wanted.has(key)) this.drop(key);
      for (const [key, inst] of wanted) {
        const existing = this.entries.get(key);
        if (existing !== undefined) {
          existing.weight = inst.weight;
          continue;
        }
        const address = parseAddress(inst.address);
        if (address === undefined) continue;
        const subchannel = this.helper.createSubchannel(address, this.options as never);
        const state = subchannel.getConnectivityState();
        const entry: Entry = {
          key,
          subchannel,
          listener: (_sub, _prev, next) => this.stateChanged(entry, next),
          stage: inst.stage,
          weight: inst.weight,
          failed: state === CS.TRANSIENT_FAILURE,
          ready: state === CS.READY,
        };
        this.entries.set(key, entry);
        subchannel.ref();
        subchannel.addConnectivityStateListener(entry.listener as never);
        if (state === CS.IDLE) subchannel.startConnecting();
      }
    }

    private drop(key: string): void {
      const entry = this.entries.get(key);
      if (entry === undefined) return;
      this.entries.delete(key);
      entry.subchannel.removeConnectivityStateListener(entry.listener as never);
      entry.subchannel.unref();
    }

    private stateChanged(entry: Entry, next: number): void {
      if (this.destroyed || this.entries.get(entry.key) !== entry) return;
      const wasFailed = entry.failed;
      if (next === CS.READY) {
        entry.ready = true;
        entry.failed = false;
      } else if (next === CS.TRANSIENT_FAILURE) {
        entry.ready = false;
        entry.failed = true;
      } else if (next === CS.IDLE) {
        // A ready connection that closed reconnects at once; it counts as failed only if that fails.
        entry.ready = false;
        entry.subchannel.startConnecting();
      } else {
        entry.ready = false;
      }
      if (next === CS.TRANSIENT_FAILURE || next === CS.IDLE) this.helper.requestReresolution();
      // Subset: a member that failed is backed by the next-ranked instance; one that is back replaces it again.
      if (entry.failed !== wasFailed && this.config?.subset !== undefined) this.sync(this.config);
      this.publish();
    }

    private publish(): void {
      const json = this.config;
      if (json === undefined || this.destroyed) return;
      const pools = new Map<string, { ready: { subchannel: Subchannel; weight: number }[]; pending: boolean }>();
      let anyReady = false;
      let anyPending = false;
      for (const entry of this.entries.values()) {
        let pool = pools.get(entry.stage);
        if (pool === undefined) pools.set(entry.stage, (pool = { ready: [], pending: false }));
        if (entry.ready) {
          pool.ready.push({ subchannel: entry.subchannel, weight: entry.weight });
          anyReady = true;
        } else if (!entry.failed) {
          pool.pending = true;
          anyPending = true;
        }
      }
      const routing = routingTable().byId.get(json.routing);
      const policy = routing?.policy ?? defaultGrayPolicy();
      const router = new StageRouter<Subchannel>({ service: json.service, policy, rules: json.rules }, pools as Map<string, StagePool<Subchannel>>);
      const state = anyReady ? CS.READY : anyPending ? CS.CONNECTING : CS.TRANSIENT_FAILURE;
      const message = state === CS.TRANSIENT_FAILURE ? `graylane: no ready instance for service '${json.service}'` : null;
      (this.helper.updateState as (s: number, p: experimental.Picker, m: string | null) => void)(state, new GrayPicker(router), message);
    }
  };
}
