/**
 * sandboxPortMappings: the pod's hostPorts as the sandbox's port mappings (what upstream's kubelet hands the
 * runtime in PodSandboxConfig.port_mappings). Ports without a hostPort publish nothing and are left out; the same
 * host port, protocol and address asked twice is mapped once (the first container wins, as upstream).
 */
import type { PortMapping } from '../cri/runtime-service.js';

/** ContainerPortView is one entry of a container's `ports`. */
interface ContainerPortView {
  containerPort?: number;
  hostPort?: number;
  hostIP?: string;
  protocol?: string;
}

/** sandboxPortMappings lists the hostPort mappings of the pod's containers. */
export function sandboxPortMappings(spec: { containers?: readonly object[] } | undefined): PortMapping[] {
  const out: PortMapping[] = [];
  const seen = new Set<string>();
  for (const container of spec?.containers ?? []) {
    for (const p of (container as { ports?: readonly ContainerPortView[] }).ports ?? []) {
      if (!p.hostPort || !p.containerPort) continue;
      const protocol = p.protocol === 'UDP' || p.protocol === 'SCTP' ? p.protocol : 'TCP';
      const key = `${protocol}/${p.hostIP ?? ''}/${p.hostPort}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ protocol, containerPort: p.containerPort, hostPort: p.hostPort, ...(p.hostIP ? { hostIP: p.hostIP } : {}) });
    }
  }
  return out;
}
