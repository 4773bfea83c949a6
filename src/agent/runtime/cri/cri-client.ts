/**
 * CriClient: the two CRI v1 gRPC services (RuntimeService, ImageService) of a runtime listening on a unix socket,
 * as promise-returning calls. The messages come from our own `cri-api.proto` (a subset of upstream's), loaded at
 * run time with @grpc/proto-loader: field names are camelCase, int64 values arrive as decimal strings (nanosecond
 * timestamps do not fit a double), enums as their names, and absent fields as their defaults.
 *
 * Errors: a call that fails rejects with `CriCallError`, which keeps the gRPC status code so callers can tell
 * NOT_FOUND (an object that is gone) from real failures, and says in its message which RPC failed and why.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as grpc from '@grpc/grpc-js';

/**
 * The gRPC status codes the backend tells apart (gRPC's wire values). The gRPC packages are imported only when a
 * client connects (`CriClient.connect`): loading them costs a few hundred ms of CPU that every node on runc or the
 * process runtime, and every CLI command, would otherwise pay at start.
 */
export const GRPC_NOT_FOUND = 5;
export const GRPC_DEADLINE_EXCEEDED = 4;
export const GRPC_UNAVAILABLE = 14;

/** GRPC_STATUS_NAMES names gRPC's status codes, by value, for messages. */
const GRPC_STATUS_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

/** CriCallError is a failed CRI call: `code` is the gRPC status code, `details` the runtime's own message. */
export class CriCallError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly details: string,
  ) {
    // grpc-js appends an empty "Resolution note:" to connection failures; it says nothing.
    super(`CRI ${method} failed: ${details.replace(/\s*Resolution note:\s*$/, '') || GRPC_STATUS_NAMES[code] || `gRPC status ${code}`}`);
    this.name = 'CriCallError';
  }
}

/** isCriNotFound tells a NOT_FOUND reply from other failures. */
export function isCriNotFound(err: unknown): boolean {
  return err instanceof CriCallError && err.code === GRPC_NOT_FOUND;
}

/** A decoded CRI message: proto-loader gives plain objects; each caller reads the fields it knows. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CriMessage = Record<string, any>;

/** protoPath finds cri-api.proto beside this module (sources) or in the bundle's data dir (hack/build.mjs). */
function protoPath(): string {
  for (const candidate of ['./cri-api.proto', './data/cri-api.proto']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('Cannot load the CRI API: cri-api.proto is missing from the installation');
}

type GrpcModule = typeof import('@grpc/grpc-js');

let cachedPackage: Promise<{ grpc: GrpcModule; cri: grpc.GrpcObject }> | undefined;

/** loadPackage imports gRPC and loads cri-api.proto, once per process. */
function loadPackage(): Promise<{ grpc: GrpcModule; cri: grpc.GrpcObject }> {
  cachedPackage ??= (async () => {
    const [grpc, protoLoader] = await Promise.all([import('@grpc/grpc-js'), import('@grpc/proto-loader')]);
    const definition = protoLoader.loadSync(protoPath(), { keepCase: false, longs: String, enums: String, defaults: true, arrays: true, objects: true });
    return { grpc, cri: grpc.loadPackageDefinition(definition) };
  })();
  return cachedPackage;
}

type ServiceCtor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => grpc.Client;

function serviceCtor(cri: grpc.GrpcObject, name: 'RuntimeService' | 'ImageService'): ServiceCtor {
  const runtime = (cri['runtime'] as grpc.GrpcObject | undefined)?.['v1'] as grpc.GrpcObject | undefined;
  const ctor = runtime?.[name];
  if (typeof ctor !== 'function') throw new Error(`Cannot load the CRI API: runtime.v1.${name} is missing from cri-api.proto`);
  return ctor as unknown as ServiceCtor;
}

/** CriClientConfig constructs a CriClient. */
export interface CriClientConfig {
  /** `unix:///run/containerd/containerd.sock` (a bare absolute path is taken as a unix socket too). */
  readonly endpoint: string;
  /** Per-call deadline. @default 120 s (pulls and sandbox starts are slow on small machines) */
  readonly timeoutMs?: number;
}

/** normalizeEndpoint turns `/path.sock` or `unix:///path.sock` into gRPC's `unix:///path.sock`. */
export function normalizeEndpoint(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return endpoint;
  if (endpoint.startsWith('/')) return `unix://${endpoint}`;
  throw new Error(`Cannot use container runtime endpoint "${endpoint}": only unix:///path/to/socket is supported`);
}

/** socketPathOf is the file path of a unix endpoint. */
export function socketPathOf(endpoint: string): string {
  return normalizeEndpoint(endpoint).slice('unix://'.length);
}

/** CriClient calls a CRI runtime; see the file comment. */
export class CriClient {
  readonly #runtime: grpc.Client;
  readonly #images: grpc.Client;
  readonly #timeoutMs: number;

  private constructor(runtime: grpc.Client, images: grpc.Client, timeoutMs: number) {
    this.#runtime = runtime;
    this.#images = images;
    this.#timeoutMs = timeoutMs;
  }

  /** connect makes the channels to the runtime (gRPC connects lazily: a runtime not up yet fails the first call). */
  static async connect(config: CriClientConfig): Promise<CriClient> {
    const address = normalizeEndpoint(config.endpoint);
    const { grpc, cri } = await loadPackage();
    const credentials = grpc.credentials.createInsecure();
    // Replies can carry up to 16 MiB of exec output each for stdout and stderr.
    const options: grpc.ClientOptions = { 'grpc.max_receive_message_length': 64 * 1024 * 1024 };
    return new CriClient(new (serviceCtor(cri, 'RuntimeService'))(address, credentials, options), new (serviceCtor(cri, 'ImageService'))(address, credentials, options), config.timeoutMs ?? 120_000);
  }

  /** runtime calls a RuntimeService RPC (`Version`, `RunPodSandbox`, …). */
  runtime(method: string, request: CriMessage, timeoutMs?: number): Promise<CriMessage> {
    return this.#call(this.#runtime, method, request, timeoutMs);
  }

  /** image calls an ImageService RPC (`ListImages`, `PullImage`, …). */
  image(method: string, request: CriMessage, timeoutMs?: number): Promise<CriMessage> {
    return this.#call(this.#images, method, request, timeoutMs);
  }

  #call(client: grpc.Client, method: string, request: CriMessage, timeoutMs = this.#timeoutMs): Promise<CriMessage> {
    // proto-loader's generated clients expose each RPC under its proto name as a method of the client object.
    const fn = (client as unknown as Record<string, unknown>)[method];
    if (typeof fn !== 'function') return Promise.reject(new Error(`CRI ${method} is not in cri-api.proto`));
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + timeoutMs);
      (fn as (req: CriMessage, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: CriMessage) => void) => void).call(client, request, { deadline }, (err, res) => {
        if (err) reject(new CriCallError(method, err.code, err.details));
        else resolve(res ?? {});
      });
    });
  }

  /** close ends both channels. */
  close(): void {
    this.#runtime.close();
    this.#images.close();
  }
}
