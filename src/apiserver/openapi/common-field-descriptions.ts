/**
 * Our own descriptions of the fields every kubectl user meets first, used where the schema model has none, so
 * that `kubectl explain pods` says what apiVersion, kind, metadata, spec and status are. Written for tkube;
 * field-by-field descriptions for the rest of the model are still to come.
 */

/** COMMON_FIELD_DESCRIPTIONS maps a field name to its description. */
export const COMMON_FIELD_DESCRIPTIONS: Readonly<Record<string, string>> = {
  apiVersion: 'The versioned schema of this object, "group/version" (just "version" for the core group). Clients send it; the server answers in the version asked for.',
  kind: 'The type of this object, in CamelCase (for example Pod or Deployment). It must match the resource the request is sent to.',
  metadata: 'Standard object metadata: name, namespace, labels, annotations, owner references, finalizers, and the fields the server sets (uid, resourceVersion, generation, creationTimestamp).',
  spec: 'The desired state of the object, written by its users. Controllers work to make the actual state match it.',
  status: 'The most recently observed state of the object, written by the system (controllers, node agents). Users normally do not set it; it has its own /status subresource.',
  items: 'The objects in this list.',
  name: 'The name of this object or entry, unique within its scope.',
  namespace: 'The namespace the object lives in. Empty for cluster-scoped objects.',
  labels: 'Key/value pairs that selectors match on (label selectors of Services, Deployments, kubectl -l).',
  annotations: 'Key/value pairs for tools and people to store non-identifying information. Not used for selection.',
  uid: 'A unique id the server assigns when the object is created; it never changes and is never reused.',
  resourceVersion: 'An opaque version of the object, changed by every write; send it back on update to detect conflicting writes (409 Conflict).',
  generation: 'A sequence number of changes to the desired state (spec), set by the server.',
  creationTimestamp: 'When the server created this object (RFC 3339, UTC).',
  deletionTimestamp: 'When set, the object is being deleted and waits for its finalizers (or, for pods, for graceful termination).',
  finalizers: 'Names of components that must finish work before the object is removed; deletion waits until the list is empty.',
  ownerReferences: 'The objects this one belongs to; when they are deleted, the garbage collector deletes this one too.',
  containers: 'The containers of the pod. There must be at least one; each has a unique name.',
  image: 'The container image to run, for example busybox:1.36.',
  replicas: 'The number of desired copies.',
  selector: 'The label selector that picks the objects this one manages or targets.',
  template: 'The template of the pods this object creates.',
};
