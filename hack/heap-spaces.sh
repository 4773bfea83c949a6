#!/usr/bin/env bash
# heap-spaces: a tkube server's RSS and V8 heap, per space, every INTERVAL seconds until the server exits — to see
# which space grows after the heap compactor's collection (issue 5, session 14).
#
# Run: hack/heap-spaces.sh DATA_DIR [INTERVAL]   (DATA_DIR holds server.json and a kubeconfig: bench.kubeconfig, as
# bench/scale.ts's servers have, or admin.kubeconfig)
# One line per sample: time, RSS (MB), V8's total heap and external memory, then each space's total/used (MB): the
# young generation (new), old space, large objects (lo) and code. The figures are the server's /metrics
# (nodejs_heap_space_size_*), read with kubectl.
set -euo pipefail
dir="$1"; interval="${2:-5}"
kubeconfig="$dir/bench.kubeconfig"; [[ -f "$kubeconfig" ]] || kubeconfig="$dir/admin.kubeconfig"
pid="$(node -p "JSON.parse(require('fs').readFileSync('$dir/server.json', 'utf8')).pid")"
mb() { awk -v m="$1" '$1 == m { printf "%d", $2 / 1048576; found = 1 } END { if (!found) printf "-" }'; }
while kill -0 "$pid" 2>/dev/null; do
  metrics="$(kubectl --kubeconfig "$kubeconfig" get --raw /metrics 2>/dev/null || true)"
  rss="$(awk '/^VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null || echo -)"
  line="$(date -u +%H:%M:%S) rss=$rss total=$(mb nodejs_heap_size_total_bytes <<<"$metrics") external=$(mb nodejs_external_memory_bytes <<<"$metrics")"
  for space in new old large_object code; do
    line+=" $space=$(mb "nodejs_heap_space_size_total_bytes{space=\"$space\"}" <<<"$metrics")/$(mb "nodejs_heap_space_size_used_bytes{space=\"$space\"}" <<<"$metrics")"
  done
  echo "$line"
  sleep "$interval"
done
