#!/usr/bin/python3
"""Stream into a pod with Debian's python3-kubernetes (22.6): exec over the v4 WebSocket channels (output, stdin,
the exit code from the error channel) and portforward (one HTTP/1.0 request through the forwarded socket). Prints
one JSON object per step on stdout for test/integration/stream-clients.test.ts.

Usage: stream-clients.py KUBECONFIG NAMESPACE POD PORT
"""
import json
import sys

from kubernetes import client, config
from kubernetes.stream import portforward, stream


def emit(step, **fields):
    """Print one step's result as a JSON line."""
    print(json.dumps({"step": step, **fields}), flush=True)


def main():
    kubeconfig, namespace, pod, port = sys.argv[1:5]
    config.load_kube_config(config_file=kubeconfig)
    v1 = client.CoreV1Api()

    out = stream(v1.connect_get_namespaced_pod_exec, pod, namespace,
                 command=["sh", "-c", "echo hi-from-python; echo to-stderr >&2"],
                 stdout=True, stderr=True, stdin=False, tty=False)
    emit("exec", output=out)

    # Not preloaded: read stdout/stderr and the error channel (a metav1.Status) separately.
    resp = stream(v1.connect_get_namespaced_pod_exec, pod, namespace,
                  command=["sh", "-c", "read line; echo got:$line; exit 3"],
                  stdout=True, stderr=True, stdin=True, tty=False, _preload_content=False)
    resp.write_stdin("typed\n")
    stdout, stderr = "", ""
    while resp.is_open():
        resp.update(timeout=1)
        if resp.peek_stdout():
            stdout += resp.read_stdout()
        if resp.peek_stderr():
            stderr += resp.read_stderr()
    emit("exec-stdin", stdout=stdout, stderr=stderr, returncode=resp.returncode)

    pf = portforward(v1.connect_get_namespaced_pod_portforward, pod, namespace, ports=port)
    sock = pf.socket(int(port))
    sock.setblocking(True)
    sock.settimeout(20)
    sock.sendall(b"GET /index.html HTTP/1.0\r\nHost: pod\r\n\r\n")
    page = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        page += chunk
    sock.close()
    emit("portforward", page=page.decode("utf-8", "replace"), error=pf.error(int(port)))
    pf.close()


if __name__ == "__main__":
    main()
