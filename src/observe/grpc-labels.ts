/**
 * go-grpc-prometheus label values of a gRPC call — type, service, method and code name — shared by the
 * grpc-js and nice-grpc metrics feeds.
 * @packageDocumentation
 */

/** `grpc_type` values, as go-grpc-prometheus names them. */
export type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

const CODE_NAMES: readonly string[] = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

/** The gRPC code's name (`'OK'`, `'UNAVAILABLE'`, …); anything outside 0–16 is `'UNKNOWN'`. */
export function grpcCodeName(code: number | undefined): string {
  return (code === undefined ? undefined : CODE_NAMES[code]) ?? 'UNKNOWN';
}

/** `grpc_type` of a method from its streaming flags. */
export function grpcType(requestStream: boolean, responseStream: boolean): GrpcType {
  if (requestStream) return responseStream ? 'bidi_stream' : 'client_stream';
  return responseStream ? 'server_stream' : 'unary';
}

/** Splits `/pkg.Service/Method` into `[service, method]`; a path without that shape gives `['unknown', 'unknown']`. */
export function splitMethodPath(path: string): [string, string] {
  const slash = path.lastIndexOf('/');
  if (slash <= 1 || path[0] !== '/') return ['unknown', 'unknown'];
  return [path.slice(1, slash), path.slice(slash + 1)];
}

/** Label values of one method: computed once per path and cached by the caller. */
export interface MethodLabels {
  readonly type: GrpcType;
  readonly service: string;
  readonly method: string;
}

/** Most distinct method paths labelled by one interceptor / middleware; later paths are labelled `other`. */
export const MAX_METHOD_LABELS = 1024;

/**
 * Caches {@link MethodLabels} per method path. Bounded: a server only sees the methods it registered,
 * but a client that forwards caller-chosen paths (a gateway) could otherwise grow the label set — and
 * this cache — without limit. Past {@link MAX_METHOD_LABELS} paths, new ones get service and method `other`.
 */
export class MethodLabelCache {
  private readonly byPath = new Map<string, MethodLabels>();
  /** The labels past the cap, one per `grpc_type`: the same objects every time (callers key caches by them). */
  private readonly others = new Map<GrpcType, MethodLabels>();

  get(path: string, requestStream: boolean, responseStream: boolean): MethodLabels {
    let labels = this.byPath.get(path);
    if (labels === undefined) {
      const type = grpcType(requestStream, responseStream);
      if (this.byPath.size >= MAX_METHOD_LABELS) {
        let other = this.others.get(type);
        if (other === undefined) this.others.set(type, (other = { type, service: 'other', method: 'other' }));
        return other;
      }
      const [service, method] = splitMethodPath(path);
      labels = { type, service, method };
      this.byPath.set(path, labels);
    }
    return labels;
  }
}
