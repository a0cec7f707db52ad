/**
 * The grpc-js `Picker` of the `graylane` policy: turns a {@link StageRouter} decision into a pick
 * result (a subchannel, QUEUE, or UNAVAILABLE with a message naming service and stage).
 * @packageDocumentation
 */
import type { experimental, Metadata } from '@grpc/grpc-js';
import type { GrpcModule } from './grpc-compat.js';
import type { StageRouter } from './stage-picker.js';

type Subchannel = experimental.SubchannelInterface;

/** Builds the picker class for one grpc-js module (its enums and `Metadata`). */
export function createPickerClass(mod: GrpcModule): new (router: StageRouter<Subchannel>) => experimental.Picker {
  const { PickResultType } = mod.experimental;
  const Status = mod.status;

  return class GrayPicker {
    constructor(private readonly router: StageRouter<Subchannel>) {}

    pick(args: { metadata: Metadata }): experimental.PickResult {
      const decision = this.router.decide(this.router.stageOf(args?.metadata));
      if (decision.kind === 'pick') {
        return { pickResultType: PickResultType.COMPLETE, subchannel: decision.ring.pick(), status: null, onCallStarted: null, onCallEnded: null };
      }
      if (decision.kind === 'queue') {
        return { pickResultType: PickResultType.QUEUE, subchannel: null, status: null, onCallStarted: null, onCallEnded: null };
      }
      return {
        pickResultType: PickResultType.TRANSIENT_FAILURE,
        subchannel: null,
        status: { code: Status.UNAVAILABLE, details: decision.message, metadata: new mod.Metadata() },
        onCallStarted: null,
        onCallEnded: null,
      };
    }
  };
}
