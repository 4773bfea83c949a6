/**
 * feedZone keeps a ClusterDnsZone in step with the cluster: every Service and EndpointSlice event from the shared
 * informers is applied to the zone at once (the zone's updates are cheap map edits, so there is no work queue).
 */
import type { KubeObject } from '../api/meta/types.js';
import type { InformerFactory } from '../client/informer/informer-factory.js';
import type { ClusterDnsZone, ZoneEndpointSlice, ZoneService } from './cluster-dns-zone.js';

const SERVICES = { version: 'v1', resource: 'services' } as const;
const SLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' } as const;

/** feedZone registers the zone's handlers; the informers start with the factory. Resolves once both synced. */
export async function feedZone(zone: ClusterDnsZone, informers: InformerFactory, signal?: AbortSignal): Promise<boolean> {
  const services = informers.informerFor<KubeObject & ZoneService>(SERVICES);
  const slices = informers.informerFor<KubeObject & ZoneEndpointSlice>(SLICES);
  services.addEventHandler({
    onAdd: (s) => zone.upsertService(s),
    onUpdate: (_old, s) => zone.upsertService(s),
    onDelete: (s) => zone.deleteService(s),
  });
  slices.addEventHandler({
    onAdd: (s) => zone.upsertEndpointSlice(s),
    onUpdate: (old, s) => {
      // A slice relabelled to another Service leaves the old one's records.
      if (old.metadata?.labels?.['kubernetes.io/service-name'] !== s.metadata?.labels?.['kubernetes.io/service-name']) zone.deleteEndpointSlice(old);
      zone.upsertEndpointSlice(s);
    },
    onDelete: (s) => zone.deleteEndpointSlice(s),
  });
  const synced = await Promise.all([services.waitForSync(signal), slices.waitForSync(signal)]);
  return synced.every(Boolean);
}
