/** The Service names and addresses bench/dns.ts asks for, shared with the server it starts. */

/** serviceName is the i-th benchmark Service's DNS name. */
export function serviceName(i: number): string {
  return `svc-${i}.bench.svc.cluster.local`;
}

/** serviceAddress is the i-th benchmark Service's cluster IP (10.43.0.1 onwards, 250 per /24). */
export function serviceAddress(i: number): string {
  return `10.43.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}
