/**
 * benchPod: the ~2 KiB Pod every API benchmark writes. It is a valid v1 Pod (one container, requests, env, labels)
 * padded with annotations so its JSON body is close to POD_BYTES; names are unique per call site.
 */

/** POD_BYTES is the size the serialized bench pod aims for. */
export const POD_BYTES = 2048;

const PADDING_KEY = 'bench.tkube.io/padding';

/** benchPod returns the JSON body of a Pod named `name` in `namespace`, about POD_BYTES long. */
export function benchPod(name: string, namespace: string): string {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: { app: 'bench', tier: 'backend', 'bench.tkube.io/run': 'foundation', 'bench.tkube.io/shard': String(name.length % 8) },
      annotations: { 'bench.tkube.io/purpose': 'throughput and fan-out benchmarks', [PADDING_KEY]: '' },
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.example/bench/app:1.0.0',
          command: ['/bin/sh', '-c', 'sleep 3600'],
          ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
          env: [
            { name: 'BENCH_MODE', value: 'foundation' },
            { name: 'BENCH_LEVEL', value: 'info' },
          ],
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 5,
    },
  };
  const bare = JSON.stringify(pod).length;
  pod.metadata.annotations[PADDING_KEY] = 'x'.repeat(Math.max(0, POD_BYTES - bare));
  return JSON.stringify(pod);
}
