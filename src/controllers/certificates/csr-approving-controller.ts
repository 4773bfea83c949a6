/**
 * csrapproving: approves the certificate requests nodes make for themselves, so a node can join without a person
 * running `kubectl certificate approve`.
 *
 * - `kubernetes.io/kube-apiserver-client-kubelet` (upstream's csrapproving does exactly this one, after a
 *   SubjectAccessReview on `certificatesigningrequests/nodeclient|selfnodeclient`): a `system:node:<name>`
 *   client-certificate request from that node itself, or from a bootstrap token (`system:bootstrappers`).
 * - `kubernetes.io/kubelet-serving` (upstream leaves it to the cluster; k3s issues kubelet serving certificates
 *   itself and kubeadm clusters commonly run an approver with this policy): a request from the node itself
 *   (`system:node:<name>` in `system:nodes`) for CN=`system:node:<name>`, whose DNS names are only the node's
 *   name (or its Hostname/DNS addresses) and whose IPs are only the node's InternalIP/ExternalIP addresses. Before
 *   the Node is registered its addresses are unknown, so IP names wait for it.
 *
 * Either is also approved when the requestor is in `system:masters`: `tkube agent --token` authenticates with a
 * static admin token today; a proper node identity through bootstrap tokens is issue 8. For a `system:masters`
 * requestor whose Node is not registered yet, the IP names are taken on trust (an admin could sign anything).
 *
 * Requests that do not qualify are left pending for a person; this controller never denies.
 */
import type { KubeObject } from '../../api/meta/types.js';
import { obj, objects, str } from '../../api/validation/unstructured.js';
import type { Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { isConflict, isNotFound } from '../../client/api-error.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import type { RestClient } from '../../client/rest-client.js';
import { parseCertificateRequest, type ParsedCertificateRequest } from '../../pki/certificate-request.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import type { ReconcileResult, Reconciler } from '../reconciler.js';
import {
  CSRS,
  csrFacts,
  decodeRequestPem,
  KUBE_APISERVER_CLIENT_KUBELET,
  KUBELET_SERVING,
  kubeletClientProblem,
  kubeletServingProblem,
  NODES_GROUP,
  nodeNameOf,
  type CsrFacts,
} from './certificate-signing-request.js';

const NODES = { version: 'v1', resource: 'nodes' } as const;
const MASTERS_GROUP = 'system:masters';
const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';
/** How often a serving request waiting for its Node is looked at again (Node events also wake it). */
const WAIT_FOR_NODE_MS = 5_000;

/** Verdict is what the approver decides for one request. */
export type ApprovalVerdict = { readonly approve: true; readonly message: string } | { readonly approve: false; readonly waitForNode: boolean; readonly why: string };

/** NodeAddresses are what a registered Node says about itself. */
export interface NodeAddresses {
  readonly dnsNames: readonly string[];
  readonly ips: readonly string[];
}

/** nodeAddressesOf reads a Node's status.addresses. */
export function nodeAddressesOf(node: KubeObject): NodeAddresses {
  const addrs = objects(obj(node['status'])['addresses']);
  const of = (types: string[]): string[] => addrs.filter((a) => types.includes(str(a['type']) ?? '')).map((a) => str(a['address']) ?? '');
  return { dnsNames: of(['Hostname', 'InternalDNS', 'ExternalDNS']), ips: of(['InternalIP', 'ExternalIP']) };
}

/**
 * decideApproval is the policy above as a pure function of the request, its parsed PEM and the Node it names
 * (undefined when not registered).
 */
export function decideApproval(f: CsrFacts, req: ParsedCertificateRequest, node: NodeAddresses | undefined): ApprovalVerdict {
  const admin = f.groups.includes(MASTERS_GROUP);
  const subjectNode = nodeNameOf(req.commonName);
  const fromNodeItself = subjectNode !== undefined && f.username === req.commonName && f.groups.includes(NODES_GROUP);
  if (f.signerName === KUBE_APISERVER_CLIENT_KUBELET) {
    const problem = kubeletClientProblem(req, f.usages);
    if (problem) return { approve: false, waitForNode: false, why: problem };
    if (fromNodeItself) return { approve: true, message: 'Auto approving self kubelet client certificate after checking the requestor is that node.' };
    if (f.groups.includes(BOOTSTRAPPERS_GROUP)) return { approve: true, message: 'Auto approving kubelet client certificate requested with a bootstrap token.' };
    if (admin) return { approve: true, message: `Auto approving kubelet client certificate requested by ${MASTERS_GROUP} member ${f.username}.` };
    return { approve: false, waitForNode: false, why: 'the requestor is neither the node, a bootstrap token nor an administrator' };
  }
  if (f.signerName === KUBELET_SERVING) {
    const problem = kubeletServingProblem(req, f.usages);
    if (problem) return { approve: false, waitForNode: false, why: problem };
    if (!fromNodeItself && !admin) return { approve: false, waitForNode: false, why: 'the requestor is neither the node itself nor an administrator' };
    const name = subjectNode ?? '';
    const okDns = new Set([name, ...(node?.dnsNames ?? [])]);
    const strayDns = req.dnsNames.filter((d) => !okDns.has(d));
    if (strayDns.length > 0) return { approve: false, waitForNode: node === undefined, why: `DNS names ${strayDns.join(', ')} are not the node's` };
    if (req.ipAddresses.length > 0) {
      if (node === undefined && !admin) return { approve: false, waitForNode: true, why: 'the node is not registered yet, so its addresses are unknown' };
      if (node !== undefined) {
        const stray = req.ipAddresses.filter((ip) => !node.ips.includes(ip));
        if (stray.length > 0) return { approve: false, waitForNode: false, why: `IP addresses ${stray.join(', ')} are not the node's` };
      }
    }
    return { approve: true, message: `Auto approving kubelet serving certificate for node ${name}.` };
  }
  return { approve: false, waitForNode: false, why: `signer ${f.signerName} is not auto-approved` };
}

/** CsrApprovingConfig constructs a CsrApprovingReconciler. */
export interface CsrApprovingConfig {
  readonly client: RestClient;
  readonly csrs: SharedInformer;
  readonly nodes: SharedInformer;
  readonly clock: Clock;
  readonly log: Logger;
}

/** CsrApprovingReconciler decides one pending CSR per reconcile. */
export class CsrApprovingReconciler implements Reconciler {
  readonly #c: CsrApprovingConfig;

  constructor(config: CsrApprovingConfig) {
    this.#c = config;
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const csr = this.#c.csrs.store.get(key);
    if (!csr) return;
    const f = csrFacts(csr);
    if (f.approved || f.denied || f.failed || (f.signerName !== KUBELET_SERVING && f.signerName !== KUBE_APISERVER_CLIENT_KUBELET)) return;
    const parsed = parseCertificateRequest(decodeRequestPem(f.requestBase64));
    if (!parsed.ok) return;
    const nodeName = nodeNameOf(parsed.csr.commonName);
    const node = nodeName !== undefined ? this.#c.nodes.store.get(nodeName) : undefined;
    const verdict = decideApproval(f, parsed.csr, node ? nodeAddressesOf(node) : undefined);
    if (!verdict.approve) {
      this.#c.log.debug('Leaving certificate request pending', { csr: f.name, reason: verdict.why });
      return verdict.waitForNode ? { requeueAfterMs: WAIT_FOR_NODE_MS } : undefined;
    }
    const at = new Date(this.#c.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const status = obj(csr['status']);
    const conditions = [...objects(status['conditions']), { type: 'Approved', status: 'True', reason: 'AutoApproved', message: verdict.message, lastUpdateTime: at, lastTransitionTime: at }];
    try {
      await this.#c.client.update({ ...CSRS, name: f.name, subresource: 'approval' }, { ...csr, status: { ...status, conditions } });
      this.#c.log.info('Approved certificate request', { csr: f.name, signer: f.signerName, requestor: f.username });
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }
}

/** newCsrApprovingController builds the controller. */
export function newCsrApprovingController(ctx: ControllerContext): Controller {
  const csrs = ctx.informers.informerFor(CSRS);
  const nodes = ctx.informers.informerFor(NODES);
  const controller = new Controller({ name: 'csrapproving', reconciler: new CsrApprovingReconciler({ client: ctx.client, csrs, nodes, clock: ctx.clock, log: ctx.log }), clock: ctx.clock, log: ctx.log });
  const enqueue = (o: KubeObject): void => controller.enqueue(o.metadata?.name ?? '');
  csrs.addEventHandler({ onAdd: enqueue, onUpdate: (_old, o) => enqueue(o) });
  // A node registering (or gaining addresses) may settle its pending serving request.
  const wakePending = (): void => {
    for (const csr of csrs.store.list()) {
      const f = csrFacts(csr);
      if (f.signerName === KUBELET_SERVING && !f.approved && !f.denied && !f.failed) enqueue(csr);
    }
  };
  nodes.addEventHandler({ onAdd: wakePending, onUpdate: wakePending });
  return controller;
}

/** CSRAPPROVING_CONTROLLER is the table row. */
export const CSRAPPROVING_CONTROLLER: ControllerDescriptor = { name: 'csrapproving', enabledByDefault: true, create: newCsrApprovingController };
