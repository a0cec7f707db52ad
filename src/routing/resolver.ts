/**
 * The `graylane` resolver: `graylane:///<service>` → the service's instances and rules from the
 * registry, delivered with a service config that selects the `graylane` LB policy. Registry changes
 * are pushed at once; grpc-js re-resolution requests are rate-limited (never a busy loop).
 * @packageDocumentation
 */
import type { experimental } from '@grpc/grpc-js';
import { deliverResolution, deliverResolutionError, type EndpointLike, type GrpcModule } from './grpc-compat.js';
import { GRAY_POLICY_NAME, type GrayLbConfigJson } from './lb-config.js';
import type { RoutingEntry } from './routing-table.js';
import type { GrayServiceSnapshot } from './types.js';
import { parseAddress } from './validate.js';

type ResolverConstructor = Parameters<typeof experimental.registerResolver>[1];

/** The service named by a target: `graylane:///svc` → `svc` (a trailing `:port` added by some clients is dropped). */
export function serviceOfTarget(target: experimental.GrpcUri): string {
  return target.path.replace(/^\/+/, '').replace(/:\d+$/, '');
}

/** The resolution of a snapshot: endpoints plus the service config selecting `graylane`. */
export function buildResolution(routing: RoutingEntry, snap: GrayServiceSnapshot): { endpoints: EndpointLike[]; serviceConfig: object } {
  const endpoints: EndpointLike[] = [];
  const seen = new Set<string>();
  const instances: { address: string; stage: string; weight: number }[] = [];
  for (const inst of snap.instances) {
    const address = parseAddress(inst.address);
    if (address === undefined) continue;
    instances.push({ address: inst.address, stage: inst.stage, weight: inst.weight ?? 1 });
    if (seen.has(inst.address)) continue;
    seen.add(inst.address);
    endpoints.push({ addresses: [address] });
  }
  const json: GrayLbConfigJson = {
    routing: routing.id,
    service: snap.service,
    instances,
    rules: snap.rules,
    ...(routing.subset !== undefined ? { subset: routing.subset } : {}),
  };
  return { endpoints, serviceConfig: { loadBalancingConfig: [{ [GRAY_POLICY_NAME]: json }], methodConfig: [] } };
}

/** Builds the resolver class for one scheme on one grpc-js module. */
export function createResolverClass(mod: GrpcModule, lookup: () => RoutingEntry | undefined, scheme: string): ResolverConstructor {
  return class GrayResolver {
    private readonly service: string;
    private unsubscribe: (() => void) | undefined;
    private routing: RoutingEntry | undefined;
    private timer: NodeJS.Timeout | undefined;
    private lastPush = -Infinity;
    private delivered = false;

    constructor(target: experimental.GrpcUri, private readonly listener: unknown) {
      this.service = serviceOfTarget(target);
    }

    updateResolution(): void {
      if (this.unsubscribe === undefined) {
        this.routing = lookup();
        const routing = this.routing;
        const registry = routing?.registry;
        if (routing !== undefined && registry !== undefined && this.service !== '') {
          // Registered on the entry too, so closing the registration removes it at once.
          const stop = registry.watchService(this.service, () => this.schedule(0));
          const release = (): void => {
            routing.subscriptions.delete(release);
            stop();
          };
          routing.subscriptions.add(release);
          this.unsubscribe = release;
        } else {
          this.unsubscribe = () => undefined;
        }
        this.schedule(0);
        return;
      }
      const interval = this.routing?.reresolveIntervalMs ?? 1000;
      this.schedule(Math.max(0, this.lastPush + interval - performance.now()));
    }

    destroy(): void {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
    }

    static getDefaultAuthority(target: experimental.GrpcUri): string {
      return serviceOfTarget(target) || GRAY_POLICY_NAME;
    }

    private schedule(delay: number): void {
      if (this.timer !== undefined) {
        if (delay > 0) return;
        clearTimeout(this.timer);
      }
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.unsubscribe !== undefined) this.push();
      }, delay);
      this.timer.unref?.();
    }

    private push(): void {
      this.lastPush = performance.now();
      const routing = this.routing;
      const { UNAVAILABLE } = mod.status;
      if (this.service === '') {
        return deliverResolutionError(this.listener, mod, UNAVAILABLE, `graylane: target has no service; use ${scheme}:///<service>`);
      }
      if (routing !== undefined && routing.closed && this.delivered) {
        // Registration closed: keep the last routing state, stop following the registry.
        this.unsubscribe?.();
        this.unsubscribe = () => undefined;
        return;
      }
      if (routing === undefined || routing.closed || routing.registry === undefined) {
        return deliverResolutionError(this.listener, mod, UNAVAILABLE, `graylane: no routing registered for scheme '${scheme}'; call registerGrayRouting() before creating the client`);
      }
      if (!mod.experimental.isLoadBalancerNameRegistered(GRAY_POLICY_NAME)) {
        return deliverResolutionError(this.listener, mod, UNAVAILABLE, `graylane: the '${GRAY_POLICY_NAME}' LB policy is not registered on this @grpc/grpc-js; call registerGrayRouting({ grpc }) with the grpc-js your clients use`);
      }
      const { endpoints, serviceConfig } = buildResolution(routing, routing.registry.getService(this.service));
      deliverResolution(this.listener, endpoints, serviceConfig, `graylane service '${this.service}'`);
      this.delivered = true;
    }
  } as unknown as ResolverConstructor;
}
