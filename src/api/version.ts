/**
 * Version facts: tkube's own version and the Kubernetes API version it serves (what `/version` reports and
 * what kubectl compares for skew warnings).
 */

/** TKUBE_VERSION is this release of tkube. */
export const TKUBE_VERSION = '0.1.0';

/** KUBERNETES_VERSION is the Kubernetes release whose API we serve. */
export const KUBERNETES_VERSION = 'v1.32.0';

/** SERVER_GIT_VERSION is `/version`'s gitVersion, k3s-style: `v1.32.0+tkube0.1.0`. */
export const SERVER_GIT_VERSION = `${KUBERNETES_VERSION}+tkube${TKUBE_VERSION}`;
