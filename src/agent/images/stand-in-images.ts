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
 *     greeting naming its member and role, and its configmeta, over HTTP.
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
