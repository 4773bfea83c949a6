#!/usr/bin/python3
"""Drive tkube server with Debian's python3-kubernetes (22.6): list namespaces, create a configmap and see it
arrive on a watch, patch/read/delete it, and check a 404. Prints one JSON object per step on stdout, so the
calling test (test/integration/python-client.test.ts) can check each step.

Usage: configmap-watch.py KUBECONFIG NAMESPACE NAME
"""
import json
import sys

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


def emit(step, **fields):
    """Print one step's result as a JSON line."""
    print(json.dumps({"step": step, **fields}), flush=True)


def main():
    kubeconfig, namespace, name = sys.argv[1:4]
    config.load_kube_config(config_file=kubeconfig)
    v1 = client.CoreV1Api()

    namespaces = v1.list_namespace()
    emit("namespaces", names=sorted(ns.metadata.name for ns in namespaces.items))

    listed = v1.list_namespaced_config_map(namespace)
    start_rv = listed.metadata.resource_version
    created = v1.create_namespaced_config_map(
        namespace,
        client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels={"from": "python"}), data={"k": "v"}),
    )
    emit("created", name=created.metadata.name, resourceVersion=created.metadata.resource_version)

    # Resume from the list's resourceVersion: the create above must arrive as ADDED.
    w = watch.Watch()
    seen = []
    for event in w.stream(v1.list_namespaced_config_map, namespace, resource_version=start_rv, timeout_seconds=5):
        seen.append([event["type"], event["object"].metadata.name])
        if event["object"].metadata.name == name:
            w.stop()
    emit("watched", events=seen)

    # A fresh watch without a resourceVersion starts with ADDED events for what exists.
    w = watch.Watch()
    initial = []
    for event in w.stream(v1.list_namespaced_config_map, namespace, label_selector="from=python", timeout_seconds=5):
        initial.append([event["type"], event["object"].metadata.name])
        w.stop()
    emit("initial", events=initial)

    patched = v1.patch_namespaced_config_map(name, namespace, {"data": {"k": "v2", "extra": "x"}})
    emit("patched", data=patched.data)
    read = v1.read_namespaced_config_map(name, namespace)
    emit("read", data=read.data, labels=read.metadata.labels)
    v1.delete_namespaced_config_map(name, namespace)
    try:
        v1.read_namespaced_config_map(name, namespace)
        emit("deleted", status=200)
    except ApiException as err:
        body = json.loads(err.body)
        emit("deleted", status=err.status, reason=body.get("reason"), message=body.get("message"))


if __name__ == "__main__":
    main()
