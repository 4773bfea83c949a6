/**
 * grpc.health.v1.Health/Check over HTTP/2 on any stream. The grpc probe must reach a port inside the pod's network
 * namespace through a relayed stream (PodDialer), and @grpc/grpc-js has no way to take a caller's transport, so
 * the one unary call is spoken directly: a length-prefixed HealthCheckRequest {string service = 1} and a
 * HealthCheckResponse {ServingStatus status = 1} back, with the grpc-status trailer.
 */
import { connect, constants } from 'node:http2';
import type { Duplex } from 'node:stream';

const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
const GRPC_CODES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/** encodeHealthCheckRequest frames a HealthCheckRequest as one gRPC message. */
export function encodeHealthCheckRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  const body = name.length > 0 ? Buffer.concat([Buffer.from([0x0a, ...varint(name.length)]), name]) : Buffer.alloc(0);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** decodeServingStatus reads the status field from a framed HealthCheckResponse (0 = UNKNOWN when absent). */
export function decodeServingStatus(frame: Buffer): string {
  const body = frame.subarray(5);
  let status = 0;
  for (let i = 0; i < body.length; ) {
    const tag = body[i++] ?? 0;
    let value = 0;
    let shift = 0;
    for (;;) {
      const b = body[i++] ?? 0;
      value |= (b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80) || i >= body.length) break;
    }
    if (tag === 0x08) status = value;
    else if ((tag & 7) === 2) i += value; // skip unknown length-delimited fields
  }
  return SERVING_STATUS[status] ?? String(status);
}

/**
 * checkGrpcHealth calls Check on `stream` (already dialled to the port); resolves undefined when SERVING, else
 * a message in upstream's wording.
 */
export function checkGrpcHealth(stream: Duplex, authority: string, service: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (msg: string | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.destroy();
      resolve(msg);
    };
    const timer = setTimeout(() => finish(`timeout: health rpc did not complete within ${Math.round(timeoutMs / 1000)}s`), timeoutMs);
    const session = connect(`http://${authority}`, { createConnection: () => stream });
    session.on('error', (e) => finish(`timeout: failed to connect service "${authority}" within ${Math.round(timeoutMs / 1000)}s: ${e.message}`));
    const req = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: '/grpc.health.v1.Health/Check',
      [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      te: 'trailers',
    });
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    let grpcMessage = '';
    const readStatus = (h: Record<string, unknown>): void => {
      if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
      if (h['grpc-message'] !== undefined) grpcMessage = decodeURIComponent(String(h['grpc-message']));
    };
    req.on('response', (h) => readStatus(h));
    req.on('trailers', (h) => readStatus(h));
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('error', (e) => finish(`rpc error: ${e.message}`));
    req.on('end', () => {
      if (grpcStatus !== undefined && grpcStatus !== '0') {
        finish(`rpc error: code = ${GRPC_CODES[Number(grpcStatus)] ?? grpcStatus} desc = ${grpcMessage}`);
        return;
      }
      const status = decodeServingStatus(Buffer.concat(chunks));
      finish(status === 'SERVING' ? undefined : `service unhealthy (responded with "${status}")`);
    });
    req.end(encodeHealthCheckRequest(service));
  });
}
