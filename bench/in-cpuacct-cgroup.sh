#!/bin/bash
# Runs "$@" in a cpuacct cgroup of its own (cgroup v1, root), removed afterwards: bench/pod-start.ts then reports the
# whole group's CPU per pod (burstGroupCpuMsPerPod) — the bench, its server, the host commands, shims and runc runs,
# and the reference's shells and runc runs — a figure that depends less on what else loads the machine than wall time.
# Usage: bench/in-cpuacct-cgroup.sh node --import tsx bench/pod-start.ts --burst-only
set -u
g=/sys/fs/cgroup/cpuacct/tkube-bench-$$
mkdir "$g" || exit 1
bash -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' _ "$g" "$@"
rc=$?
# Whatever is left in the group (nothing, normally) goes back to the root group, so the group can be removed.
for p in $(cat "$g/cgroup.procs" 2>/dev/null); do echo "$p" > /sys/fs/cgroup/cpuacct/cgroup.procs; done
rmdir "$g"
exit $rc
