/**
 * Stand-in images for the walkthroughs in `examples/`: small busybox images, built offline from the host's
 * busybox-static, under the image names the original guides use, so their manifests and commands run unchanged on
 * a machine with no registry. Each is the busybox layer plus one layer of shell scripts that behave enough like
 * the real program for the guide's steps to show something:
 *   - `jenkins`: an HTTP server on 8080 naming its pod, recording each start in /var/jenkins_home (and in
 *     /var/jenkins_backup when that is mounted);
 *   - `jenkins-slave`: finds the master through the `JENKINS_SERVICE_HOST`/`_PORT` variables and polls it;
 *   - `workbinder/worker`: `./startBinderJobLocal.sh CE ROUTINGINFO JOBID LOGFILE` in its working directory;
 *   - `k8s.gcr.io/echoserver:1.4` (and its registry.k8s.io name): answers any HTTP request on 8080 with the
 *     request printed back, in echoserver's layout;
 *   - `tkube/kd-hello:1.0` (examples/kubedirector, made for it, no original): a KubeDirector member serving a
 *     greeting naming its member and role, and its configmeta, over HTTP;
 *   - `inaetics/queue`, `inaetics/producer`, `inaetics/processor`, `inaetics/viewer` (examples/inaetics, the
 *     INAETICS demonstrator's roles): a work queue over HTTP exporting `queue_length`, producers adding items to it,
 *     processors taking one item per ~second, and a page showing the queue.
 * Each script stops at once on SIGTERM (as PID 1 a shell would otherwise ignore it until the grace period ends).
 * Layers are deterministic, so adding them again changes nothing.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Image } from '../cri/image-service.js';
import { BUSYBOX_PATH, busyboxLayer, buildTar, PATH_ENV, type LayerEntry } from './builtin-images.js';
import type { OciImageStore } from './oci-image-store.js';

/** StandInImage: one stand-in, its references, scripts and image config. */
export interface StandInImage {
  /** refs are the full references it is tagged with (the first is its main name). */
  readonly refs: readonly string[];
  readonly description: string;
  /** files are added under their absolute path (without the leading slash), mode 0755. */
  readonly files: Readonly<Record<string, string>>;
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  readonly workingDir?: string;
  readonly exposedPorts?: readonly number[];
}

const JENKINS = `#!/bin/sh
# tkube stand-in for the jenkins image: an HTTP server on 8080 naming its pod; each start is recorded in
# /var/jenkins_home (the emptyDir, kept across container restarts) and /var/jenkins_backup (the hostPath).
mkdir -p /var/jenkins_home /var/www
line="$(date -u +%Y-%m-%dT%H:%M:%SZ) jenkins started on $(hostname)"
echo "$line" >> /var/jenkins_home/jenkins.log
[ -d /var/jenkins_backup ] && echo "$line" >> /var/jenkins_backup/jenkins.log
starts=$(wc -l < /var/jenkins_home/jenkins.log)
echo "Jenkins (tkube stand-in) on $(hostname), start $starts" > /var/www/index.html
echo "$line (start $starts); listening on :8080"
# As PID 1 of its container, a program with no SIGTERM handler would ignore \`kubectl delete\`'s signal and be
# killed only after the grace period: the script stays PID 1 and stops the server on TERM.
httpd -f -p 8080 -h /var/www &
trap 'kill $!; exit 0' TERM INT
wait
`;

const JENKINS_SLAVE = `#!/bin/sh
# tkube stand-in for a Jenkins slave: finds the master through the jenkins Service's environment variables.
if [ -z "$JENKINS_SERVICE_HOST" ]; then
  echo "no JENKINS_SERVICE_HOST: create the jenkins Service before the slaves"
fi
echo "slave $(hostname): master at $JENKINS_SERVICE_HOST:$JENKINS_SERVICE_PORT"
trap 'exit 0' TERM INT
while true; do
  answer=$(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 "$JENKINS_SERVICE_HOST" "$JENKINS_SERVICE_PORT" 2>/dev/null | tail -n 1)
  echo "slave $(hostname): master says: \${answer:-nothing}"
  sleep 2 &
  wait $!
done
`;

const START_BINDER_JOB_LOCAL = `#!/bin/sh
# tkube stand-in for WorkBinder's local job starter: startBinderJobLocal.sh CE ROUTINGINFO JOBID LOGFILE
CE=$1
ROUTINGINFO=$2
JOBID=$3
LOGFILE=\${4:-/tmp/binder.log}
echo "WorkBinder worker $(hostname): CE=$CE ROUTINGINFO=$ROUTINGINFO JOBID=$JOBID LOGFILE=$LOGFILE"
trap 'echo "job $JOBID: stopped"; exit 0' TERM INT
n=0
while true; do
  n=$((n + 1))
  echo "$(date -u +%H:%M:%S) job $JOBID: step $n" | tee -a "$LOGFILE"
  sleep 5 &
  wait $!
done
`;

const ECHO_HANDLER = `#!/bin/sh
# One HTTP exchange on stdin/stdout (nc -e): the request printed back, in echoserver's layout.
read -r method uri version
version=$(printf '%s' "$version" | tr -d '\\r')
headers=""
while read -r line; do
  line=$(printf '%s' "$line" | tr -d '\\r')
  [ -z "$line" ] && break
  headers="$headers$line
"
done
host=$(printf '%s' "$headers" | sed -n 's/^[Hh][Oo][Ss][Tt]: *//p')
path=\${uri%%\\?*}
query=nil
case "$uri" in *\\?*) query=\${uri#*\\?} ;; esac
body="CLIENT VALUES:
client_address=unknown
command=$method
real path=$path
query=$query
request_version=\${version#HTTP/}
request_uri=http://$host$uri

SERVER VALUES:
server_version=tkube echoserver stand-in (busybox) on $(hostname)

HEADERS RECEIVED:
\${headers}BODY:
-no body in request-
"
printf 'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s' "\${#body}" "$body"
`;

const ECHO_SERVER = `#!/bin/sh
# tkube stand-in for echoserver: every connection to :8080 gets the request printed back.
echo "echoserver (tkube stand-in) on $(hostname) listening on :8080"
nc -ll -p 8080 -e /usr/local/bin/echo-handler.sh &
trap 'kill $!; exit 0' TERM INT
wait
`;

const KD_START = `#!/bin/sh
# KubeDirector example member (examples/kubedirector): greet, publish the configmeta KubeDirector mounts at
# /etc/guestconfig, serve both over HTTP — the controller role on 8080, workers on 9090 (the app's endpoints).
mkdir -p /www
echo "hello from $(hostname), role $KD_ROLE of KubeDirectorCluster $KD_CLUSTER (app $KD_APP)" > /www/index.html
ln -sf /etc/guestconfig/configmeta.json /www/configmeta.json
case "$KD_ROLE" in controller) port=8080 ;; *) port=9090 ;; esac
echo "serving on :$port"
httpd -f -v -p "$port" -h /www &
trap 'kill $!; exit 0' TERM INT
wait
`;

// The INAETICS demonstrator (examples/inaetics). The queue keeps one file per item in a directory: adding is
// creating a uniquely named file, taking is removing one, and `rm` succeeding for exactly one caller makes a take
// atomic without a lock (busybox has no flock), although nc runs one handler process per connection.

const INAETICS_QUEUE = `#!/bin/sh
# tkube stand-in for the INAETICS demonstrator's queue: HTTP on 8080 (one handler per connection).
mkdir -p /var/queue
echo "inaetics queue on $(hostname) listening on :8080 (POST /produce?n=K, POST /consume, GET /metrics)"
nc -ll -p 8080 -e /usr/local/bin/queue-handler.sh &
trap 'kill $!; exit 0' TERM INT
wait
`;

const INAETICS_QUEUE_HANDLER = `#!/bin/sh
# One HTTP/1.0 exchange on stdin/stdout. Items are the files of /var/queue.
read -r method uri version
while read -r line; do
  line=$(printf '%s' "$line" | tr -d '\\r')
  [ -z "$line" ] && break
done
reply() {
  printf 'HTTP/1.0 %s\\r\\nContent-Type: text/plain; version=0.0.4\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s' "$1" "\${#2}" "$2"
}
length() { ls /var/queue | wc -l; }
path=\${uri%%\\?*}
case "$path" in
  /produce)
    n=$(printf '%s' "$uri" | sed -n 's/.*[?&]n=\\([0-9][0-9]*\\).*/\\1/p')
    n=\${n:-1}
    i=0
    while [ "$i" -lt "$n" ]; do
      i=$((i + 1))
      : > "/var/queue/$(date +%s)-$$-$i"
    done
    reply '200 OK' "added $n
"
    ;;
  /consume)
    for item in $(ls /var/queue | head -n 5); do
      if rm "/var/queue/$item" 2>/dev/null; then
        reply '200 OK' "item $item
"
        exit 0
      fi
    done
    reply '204 No Content' ''
    ;;
  /metrics)
    reply '200 OK' "# HELP queue_length Items waiting in the queue.
# TYPE queue_length gauge
queue_length $(length)
"
    ;;
  /)
    reply '200 OK' "inaetics queue on $(hostname): $(length) items
"
    ;;
  *)
    reply '404 Not Found' "no such path: $path
"
    ;;
esac
`;

/** INAETICS_QUEUE_ADDRESS finds the queue through the inaetics-queue Service's variables, else its DNS name. */
const INAETICS_QUEUE_ADDRESS = `host=\${INAETICS_QUEUE_SERVICE_HOST:-inaetics-queue}
port=\${INAETICS_QUEUE_SERVICE_PORT:-80}`;

const INAETICS_PRODUCER = `#!/bin/sh
# tkube stand-in for an INAETICS producer: adds RATE items (default 2) to the queue every second.
${INAETICS_QUEUE_ADDRESS}
rate=\${RATE:-2}
echo "producer $(hostname): $rate items/s to $host:$port"
trap 'exit 0' TERM INT
while true; do
  printf 'POST /produce?n=%s HTTP/1.0\\r\\n\\r\\n' "$rate" | nc -w 2 "$host" "$port" > /dev/null 2>&1 || echo "producer $(hostname): queue unreachable"
  sleep 1 &
  wait $!
done
`;

const INAETICS_PROCESSOR = `#!/bin/sh
# tkube stand-in for an INAETICS processor: takes one item from the queue and works on it for WORK_SECONDS
# (default 1); waits a second when the queue is empty.
${INAETICS_QUEUE_ADDRESS}
work=\${WORK_SECONDS:-1}
echo "processor $(hostname): taking items from $host:$port, $work s each"
trap 'exit 0' TERM INT
done_items=0
while true; do
  answer=$(printf 'POST /consume HTTP/1.0\\r\\n\\r\\n' | nc -w 2 "$host" "$port" 2>/dev/null | tail -n 1)
  case "$answer" in
    item*) done_items=$((done_items + 1)); echo "processor $(hostname): $answer (#$done_items)"; sleep "$work" & ;;
    *) sleep 1 & ;;
  esac
  wait $!
done
`;

const INAETICS_VIEWER = `#!/bin/sh
# tkube stand-in for the INAETICS viewer: a page on 8080 showing the queue's length, refreshed every 2 s.
mkdir -p /www/cgi-bin
cat > /www/index.html <<'PAGE'
<!doctype html><meta http-equiv="refresh" content="0; url=/cgi-bin/queue">
PAGE
echo "viewer $(hostname) listening on :8080"
httpd -f -p 8080 -h /www &
trap 'kill $!; exit 0' TERM INT
wait
`;

const INAETICS_VIEWER_CGI = `#!/bin/sh
# The viewer's page: the queue's /metrics read over HTTP/1.0 and drawn as a bar.
${INAETICS_QUEUE_ADDRESS}
n=$(printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' | nc -w 2 "$host" "$port" 2>/dev/null | sed -n 's/^queue_length \\([0-9][0-9]*\\).*/\\1/p')
bar=$(printf '%*s' "\${n:-0}" '' | tr ' ' '#')
printf 'Content-Type: text/html\\r\\n\\r\\n'
printf '<!doctype html><meta http-equiv="refresh" content="2"><title>INAETICS queue</title>'
printf '<h1>INAETICS queue: %s items</h1><pre>%s</pre>\\n' "\${n:-unreachable}" "$bar"
`;

/** STAND_IN_IMAGES is the table of stand-ins `tkube images stand-ins` adds. */
export const STAND_IN_IMAGES: readonly StandInImage[] = [
  {
    refs: ['docker.io/library/jenkins:latest'],
    description: 'Jenkins master: HTTP on 8080, records starts in /var/jenkins_home',
    files: { 'usr/local/bin/jenkins.sh': JENKINS },
    entrypoint: ['/usr/local/bin/jenkins.sh'],
    exposedPorts: [8080],
  },
  {
    refs: ['docker.io/library/jenkins-slave:latest'],
    description: 'Jenkins slave: polls the master through the jenkins Service variables',
    files: { 'usr/local/bin/jenkins-slave.sh': JENKINS_SLAVE },
    entrypoint: ['/usr/local/bin/jenkins-slave.sh'],
  },
  {
    refs: ['docker.io/workbinder/worker:latest'],
    description: 'WorkBinder worker: ./startBinderJobLocal.sh in /opt/workbinder',
    files: { 'opt/workbinder/startBinderJobLocal.sh': START_BINDER_JOB_LOCAL },
    workingDir: '/opt/workbinder',
    cmd: ['/bin/sh', './startBinderJobLocal.sh'],
  },
  {
    refs: ['k8s.gcr.io/echoserver:1.4', 'registry.k8s.io/echoserver:1.4', 'gcr.io/google_containers/echoserver:1.4'],
    description: 'echoserver: prints each HTTP request back, on 8080',
    files: { 'usr/local/bin/echoserver.sh': ECHO_SERVER, 'usr/local/bin/echo-handler.sh': ECHO_HANDLER },
    entrypoint: ['/usr/local/bin/echoserver.sh'],
    exposedPorts: [8080],
  },
  {
    refs: ['docker.io/tkube/kd-hello:1.0'],
    description: 'KubeDirector example app member: serves a greeting and its configmeta (controller 8080, workers 9090)',
    files: { 'usr/local/bin/kd-start': KD_START },
    cmd: ['/usr/local/bin/kd-start'],
    exposedPorts: [8080, 9090],
  },
  {
    refs: ['docker.io/inaetics/queue:latest'],
    description: 'INAETICS queue: HTTP on 8080, POST /produce?n=K, POST /consume, GET /metrics (queue_length)',
    files: { 'usr/local/bin/queue.sh': INAETICS_QUEUE, 'usr/local/bin/queue-handler.sh': INAETICS_QUEUE_HANDLER },
    entrypoint: ['/usr/local/bin/queue.sh'],
    exposedPorts: [8080],
  },
  {
    refs: ['docker.io/inaetics/producer:latest'],
    description: 'INAETICS producer: adds $RATE items/s (default 2) to the inaetics-queue Service',
    files: { 'usr/local/bin/producer.sh': INAETICS_PRODUCER },
    entrypoint: ['/usr/local/bin/producer.sh'],
  },
  {
    refs: ['docker.io/inaetics/processor:latest'],
    description: 'INAETICS processor: takes one item at a time from the inaetics-queue Service, $WORK_SECONDS (1) each',
    files: { 'usr/local/bin/processor.sh': INAETICS_PROCESSOR },
    entrypoint: ['/usr/local/bin/processor.sh'],
  },
  {
    refs: ['docker.io/inaetics/viewer:latest'],
    description: 'INAETICS viewer: a page on 8080 showing the queue length',
    files: { 'usr/local/bin/viewer.sh': INAETICS_VIEWER, 'www/cgi-bin/queue': INAETICS_VIEWER_CGI },
    entrypoint: ['/usr/local/bin/viewer.sh'],
    exposedPorts: [8080],
  },
];

/** standInLayer is the layer of an image's scripts (its directories included). */
export function standInLayer(image: StandInImage): Promise<Buffer> {
  const dirs = new Set<string>();
  for (const path of Object.keys(image.files)) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const entries: LayerEntry[] = [
    ...[...dirs].map((d) => ({ name: `${d}/`, type: 'directory' as const, mode: 0o755 })),
    ...Object.entries(image.files).map(([name, text]) => ({ name, type: 'file' as const, mode: 0o755, data: Buffer.from(text) })),
  ];
  return buildTar(entries);
}

/** standInConfig is the OCI image config of a stand-in over its two layers. */
export function standInConfig(image: StandInImage, layers: readonly Buffer[]): Buffer {
  const config: Record<string, unknown> = { Env: [PATH_ENV] };
  if (image.entrypoint) config['Entrypoint'] = image.entrypoint;
  if (image.cmd) config['Cmd'] = image.cmd;
  if (image.workingDir) config['WorkingDir'] = image.workingDir;
  if (image.exposedPorts) config['ExposedPorts'] = Object.fromEntries(image.exposedPorts.map((p) => [`${p}/tcp`, {}]));
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '1970-01-01T00:00:00Z',
      config,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => `sha256:${createHash('sha256').update(l).digest('hex')}`) },
      history: [{ created: '1970-01-01T00:00:00Z', created_by: 'tkube: busybox-static' }, { created: '1970-01-01T00:00:00Z', created_by: `tkube: stand-in for ${image.refs[0] ?? ''}` }],
    }),
  );
}

/** addStandInImages adds every stand-in to the store (replacing tags of the same names). Resolves with them. */
export async function addStandInImages(store: OciImageStore, busybox: string = BUSYBOX_PATH): Promise<{ image: Image; standIn: StandInImage }[]> {
  if (!existsSync(busybox)) throw new Error(`Cannot build the stand-in images: ${busybox} is missing (install Debian's busybox-static)`);
  const base = await busyboxLayer(busybox);
  const out: { image: Image; standIn: StandInImage }[] = [];
  for (const standIn of STAND_IN_IMAGES) {
    const layers = [base, await standInLayer(standIn)];
    out.push({ image: store.addImage(standInConfig(standIn, layers), layers, standIn.refs), standIn });
  }
  return out;
}
