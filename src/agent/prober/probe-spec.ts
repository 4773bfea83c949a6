/**
 * The pod-spec shapes of probes and lifecycle handlers (core/v1 Probe, LifecycleHandler), as the kubelet reads
 * them, and the outcome of one check.
 */

/** IntOrString is a port given by number or by the name of a container port. */
export type IntOrString = number | string;

/** HTTPGetAction is an HTTP GET against the pod (or `host`). */
export interface HTTPGetAction {
  readonly path?: string;
  readonly port: IntOrString;
  readonly host?: string;
  /** @default 'HTTP' */
  readonly scheme?: string;
  readonly httpHeaders?: readonly { readonly name: string; readonly value: string }[];
}

/** ProbeHandler is what a probe or hook runs: exactly one of these is set. */
export interface ProbeHandler {
  readonly exec?: { readonly command?: readonly string[] };
  readonly httpGet?: HTTPGetAction;
  readonly tcpSocket?: { readonly port: IntOrString; readonly host?: string };
  readonly grpc?: { readonly port: number; readonly service?: string };
}

/** ProbeSpec is core/v1 Probe. */
export interface ProbeSpec extends ProbeHandler {
  readonly initialDelaySeconds?: number;
  /** @default 1 */
  readonly timeoutSeconds?: number;
  /** @default 10 */
  readonly periodSeconds?: number;
  /** @default 1 (always 1 for liveness and startup) */
  readonly successThreshold?: number;
  /** @default 3 */
  readonly failureThreshold?: number;
  readonly terminationGracePeriodSeconds?: number;
}

/** LifecycleHandler is a postStart or preStop hook (core/v1 LifecycleHandler). */
export interface LifecycleHandler {
  readonly exec?: { readonly command?: readonly string[] };
  readonly httpGet?: HTTPGetAction;
  readonly tcpSocket?: { readonly port: IntOrString; readonly host?: string };
  readonly sleep?: { readonly seconds: number };
}

/** ProbeType names the three probes, in upstream's spelling for messages (`Liveness probe failed: ...`). */
export type ProbeType = 'Liveness' | 'Readiness' | 'Startup';

/** ProbeOutcome is the result of one check: `message` is the output or why it failed. */
export interface ProbeOutcome {
  readonly result: 'success' | 'failure';
  readonly message: string;
}

/** ContainerPort is the part of a container port a named probe port resolves against. */
export interface NamedPort {
  readonly name?: string;
  readonly containerPort: number;
}

/** resolvePort turns a probe's port (number or port name) into a number, or a message saying why not. */
export function resolvePort(port: IntOrString, ports: readonly NamedPort[] | undefined): number | string {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const found = ports?.find((p) => p.name === port);
  return found ? found.containerPort : `couldn't find port "${port}" in the container's ports`;
}
