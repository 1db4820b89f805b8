#!/usr/bin/env python3
"""Structural checks of deploy/ that need no Docker engine and no cluster: the Compose file,
the Dockerfile, the Grafana provisioning and dashboard, the Kubernetes manifests and the
server configs they carry. Each check names the file and what is wrong; the exit status is the
number of failures (capped at 1).

Usage: check_manifests.py SOURCE_DIR"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

import yaml

SRC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../.."))
DEPLOY = os.path.join(SRC, "deploy")
failures = []
passed = [0]


def check(cond, what):
    if cond:
        passed[0] += 1
    else:
        failures.append(what)
        print("FAIL " + what)


def load_yaml_docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def check_pbtxt(text, where):
    """The config parses as ptc.v1.ServerConfig, backend Any payloads included."""
    protos = ["ptc/v1/config.proto"] + sorted(
        "ptc/v1/backends/" + f for f in os.listdir(os.path.join(SRC, "proto/ptc/v1/backends")))
    r = subprocess.run(["protoc", "-I", os.path.join(SRC, "proto"), "--encode=ptc.v1.ServerConfig"]
                       + protos, input=text.encode(), capture_output=True)
    check(r.returncode == 0, f"{where}: not a valid ptc.v1.ServerConfig: {r.stderr.decode().strip()}")


def executables():
    """add_executable names -> the folder (relative to SRC) whose CMakeLists.txt defines them."""
    out = {}
    for root, dirs, files in os.walk(SRC):
        dirs[:] = [d for d in dirs if not d.startswith((".", "build", "out"))]
        if "CMakeLists.txt" in files:
            for m in re.finditer(r"add_executable\(\s*([\w-]+)", open(os.path.join(root, "CMakeLists.txt")).read()):
                out[m.group(1)] = os.path.relpath(root, SRC)
    return out


# ---- Dockerfile --------------------------------------------------------------------------------
def check_dockerfile():
    path = os.path.join(DEPLOY, "docker/Dockerfile")
    text = open(path).read().replace("\\\n", " ")
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    check(len(froms) >= 2, "Dockerfile: not multi-stage")
    check(all(f.startswith("debian:12") for f in froms), f"Dockerfile: a stage not on debian:12: {froms}")
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    check(users and not users[-1].split(":")[0] in ("0", "root"), "Dockerfile: runtime user is root")
    hc = re.search(r"^HEALTHCHECK.*CMD\s+(.*)$", text, re.M)
    check(hc and "ptc-health-probe" in hc.group(1), "Dockerfile: no HEALTHCHECK through ptc-health-probe")
    for src in re.findall(r"^COPY\s+(?!--from)(\S+)\s+\S+", text, re.M):
        check(os.path.exists(os.path.join(SRC, src)), f"Dockerfile: COPY source {src} does not exist")
    exes = executables()
    targets = re.search(r"--target\s+((?:[\w-]+\s*)+)", text).group(1).split()
    for t in targets:
        check(t in exes, f"Dockerfile: --target {t} is no add_executable")
    for binary in re.findall(r"/build/(\S+)", text):
        folder, name = os.path.split(binary)
        if name in targets:
            check(exes.get(name) == folder, f"Dockerfile: {name} is built in {exes.get(name)}, not {folder}")
    check(set(targets) <= {os.path.basename(b) for b in re.findall(r"/build/(\S+)", text)},
          "Dockerfile: a built target is not copied out")
    entry = json.loads(re.search(r"^ENTRYPOINT\s+(\[.*\])", text, re.M).group(1))
    return entry, text


# ---- Compose -----------------------------------------------------------------------------------
def check_compose(entrypoint):
    cdir = os.path.join(DEPLOY, "compose")
    (compose,) = load_yaml_docs(os.path.join(cdir, "docker-compose.yml"))
    services = compose["services"]
    for name in ("ptc-server", "ptc-simulator", "prometheus", "grafana", "traffic"):
        check(name in services, f"compose: no service {name}")
    for name, svc in services.items():
        check("image" in svc or "build" in svc, f"compose: {name} has neither image nor build")
        if "build" in svc:
            b = svc["build"]
            ctx = os.path.normpath(os.path.join(cdir, b["context"]))
            check(os.path.isfile(os.path.join(ctx, b["dockerfile"])), f"compose: {name}: no {b['dockerfile']} in {ctx}")
        deps = svc.get("depends_on", [])
        for dep, cond in (deps.items() if isinstance(deps, dict) else [(d, None) for d in deps]):
            check(dep in services, f"compose: {name} depends on unknown {dep}")
            if cond and cond.get("condition") == "service_healthy":
                dep_svc = services.get(dep, {})
                has_hc = ("healthcheck" in dep_svc and not dep_svc["healthcheck"].get("disable")) or (
                    "build" in dep_svc and "HEALTHCHECK" in open(os.path.join(DEPLOY, "docker/Dockerfile")).read())
                check(has_hc, f"compose: {name} waits for {dep} to be healthy, which has no health check")
        for vol in svc.get("volumes", []):
            host = vol.split(":")[0]
            if host.startswith("."):
                check(os.path.exists(os.path.join(cdir, host)), f"compose: {name}: volume source {host} missing")
    # Ports and names agree across the files.
    srv = services["ptc-server"]
    args = entrypoint + srv.get("command", [])
    metrics_port = args[args.index("--metrics-listen") + 1].rsplit(":", 1)[1]
    grpc_port = args[args.index("--listen") + 1].rsplit(":", 1)[1]
    (prom,) = load_yaml_docs(os.path.join(DEPLOY, "prometheus/prometheus.yml"))
    (job,) = [j for j in prom["scrape_configs"] if j["job_name"] == "ptc"]
    check(job["static_configs"][0]["targets"] == [f"ptc-server:{metrics_port}"],
          f"prometheus.yml: target is not ptc-server:{metrics_port}")
    for rf in prom["rule_files"]:
        check(os.path.isfile(os.path.join(DEPLOY, "prometheus", rf)), f"prometheus.yml: no rule file {rf}")
    config_mount = [v for v in srv["volumes"] if v.endswith(":ro") and ".pbtxt" in v][0].split(":")
    check(args[args.index("--config") + 1] == config_mount[1], "compose: ptc-server --config is not the mounted file")
    pbtxt = open(os.path.join(cdir, config_mount[0])).read()
    check_pbtxt(pbtxt, "compose/" + config_mount[0])
    backends = re.findall(r'name:\s*"([^"]+)"', pbtxt)
    sim_args = services["ptc-simulator"]["entrypoint"]
    sim_port = sim_args[sim_args.index("--listen") + 1].rsplit(":", 1)[1]
    for ep in re.findall(r'endpoints:\s*"([^"]+)"', pbtxt):
        check(ep.startswith(f"http://ptc-simulator:{sim_port}/"), f"compose pbtxt: endpoint {ep} is not ptc-simulator:{sim_port}")
    traffic = " ".join(services["traffic"]["command"])
    for server in re.findall(r"--server\s+(\S+)", traffic):
        check(server == f"ptc-server:{grpc_port}", f"compose traffic: --server {server}")
    for backend in re.findall(r"--backend\s+(\S+)", traffic):
        check(backend in backends, f"compose traffic: --backend {backend} is not in the server config")
    # Grafana: provisioned datasource and dashboards where the dashboard expects them.
    graf = services["grafana"]
    mounts = dict(v.rsplit(":", 1)[0].split(":", 1)[::-1] for v in graf["volumes"])
    prov = os.path.join(DEPLOY, "grafana/provisioning")
    (ds,) = load_yaml_docs(os.path.join(prov, "datasources/prometheus.yml"))
    check(ds["datasources"][0]["url"] == "http://prometheus:9090", "grafana datasource url is not the compose prometheus")
    (dp,) = load_yaml_docs(os.path.join(prov, "dashboards/ptc.yml"))
    check(dp["providers"][0]["options"]["path"] in mounts, "grafana dashboard provider path is not mounted")
    uid = ds["datasources"][0]["uid"]
    for path in os.listdir(os.path.join(DEPLOY, "grafana/dashboards")):
        dash = json.load(open(os.path.join(DEPLOY, "grafana/dashboards", path)))
        check(dash.get("uid") and dash.get("title"), f"dashboard {path}: no uid or title")
        ids = [p["id"] for p in dash["panels"]]
        check(len(ids) == len(set(ids)), f"dashboard {path}: duplicate panel ids")
        for p in dash["panels"]:
            for t in [p] + p.get("targets", []):
                check(t["datasource"]["uid"] == uid, f"dashboard {path}: panel {p['title']!r} not on datasource {uid}")
            check(p.get("targets"), f"dashboard {path}: panel {p['title']!r} has no query")
        check(any(p["type"] == "xychart" for p in dash["panels"]), f"dashboard {path}: no XY chart")


# ---- Kubernetes --------------------------------------------------------------------------------
def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def check_k8s():
    kdir = os.path.join(DEPLOY, "k8s")
    objs = {}
    (kust,) = load_yaml_docs(os.path.join(kdir, "kustomization.yaml"))
    for f in kust["resources"]:
        for d in load_yaml_docs(os.path.join(kdir, f)):
            for field in ("apiVersion", "kind", "metadata"):
                check(field in d, f"k8s/{f}: a document without {field}")
            check(re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", d["metadata"].get("name", "")),
                  f"k8s/{f}: bad metadata.name")
            objs.setdefault(d["kind"], []).append(d)
    listed = set(kust["resources"])
    for f in os.listdir(kdir):
        if f.endswith(".yaml") and f not in ("kustomization.yaml", "prometheus-adapter-rules.yaml"):
            check(f in listed, f"k8s/kustomization.yaml does not list {f}")
    want = {"Deployment": "apps/v1", "Service": "v1", "HorizontalPodAutoscaler": "autoscaling/v2",
            "PodDisruptionBudget": "policy/v1", "ConfigMap": "v1", "Secret": "v1",
            "ServiceMonitor": "monitoring.coreos.com/v1"}
    for kind, api in want.items():
        check(kind in objs, f"k8s: no {kind}")
        for o in objs.get(kind, []):
            check(o["apiVersion"] == api, f"k8s: {kind} {o['metadata']['name']} is {o['apiVersion']}, not {api}")

    (dep,) = objs["Deployment"]
    spec = dep["spec"]
    tmpl_labels = spec["template"]["metadata"]["labels"]
    check(matches(spec["selector"]["matchLabels"], tmpl_labels), "Deployment: selector does not match its pods")
    pod = spec["template"]["spec"]
    (c,) = pod["containers"]
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    for probe in ("readinessProbe", "livenessProbe"):
        check(probe in c and "grpc" in c[probe], f"Deployment: no gRPC {probe}")
        check(c.get(probe, {}).get("grpc", {}).get("port") == ports.get("grpc"), f"Deployment: {probe} not on the grpc port")
    check(pod.get("securityContext", {}).get("runAsNonRoot") is True, "Deployment: runAsNonRoot not set")
    # Config: --config is a key of the mounted ConfigMap; its listen ports are the container's.
    args = c["args"]
    cfg_path = args[args.index("--config") + 1]
    (mount,) = [m for m in c["volumeMounts"] if cfg_path.startswith(m["mountPath"] + "/")]
    (vol,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    (cm,) = [m for m in objs["ConfigMap"] if m["metadata"]["name"] == vol["configMap"]["name"]]
    key = os.path.relpath(cfg_path, mount["mountPath"])
    check(key in cm["data"], f"Deployment: --config {cfg_path} is not a key of ConfigMap {cm['metadata']['name']}")
    pbtxt = cm["data"].get(key, "")
    check_pbtxt(pbtxt, f"k8s ConfigMap {cm['metadata']['name']}/{key}")
    check(f':{ports["grpc"]}"' in re.search(r'^listen:.*$', pbtxt, re.M).group(0), "ConfigMap: listen port is not the grpc port")
    check(f':{ports["metrics"]}"' in re.search(r'^metrics_listen:.*$', pbtxt, re.M).group(0),
          "ConfigMap: metrics_listen port is not the metrics port")
    # Every api_key_env is an env var from a key of the Secret.
    env = {e["name"]: e for e in c.get("env", [])}
    secrets = {s["metadata"]["name"]: s for s in objs["Secret"]}
    for var in re.findall(r'api_key_env:\s*"([^"]+)"', pbtxt):
        ref = env.get(var, {}).get("valueFrom", {}).get("secretKeyRef")
        check(ref is not None, f"Deployment: api_key_env {var} is not set from a Secret")
        if ref:
            s = secrets.get(ref["name"], {})
            check(ref["key"] in {**s.get("stringData", {}), **s.get("data", {})},
                  f"Deployment: Secret {ref['name']} has no key {ref['key']}")
    # Graceful termination: the grace period covers the preStop sleep and the drain.
    pre = c["lifecycle"]["preStop"]["exec"]["command"]
    sleep_s = int(pre[1]) if pre[0] == "sleep" else 0
    drain_s = int(args[args.index("--drain-seconds") + 1])
    grace = pod["terminationGracePeriodSeconds"]
    check(grace >= sleep_s + drain_s + 5, f"Deployment: grace {grace}s < preStop {sleep_s}s + drain {drain_s}s + 5s")
    # Services select the pods; one is headless; target ports are named container ports.
    svcs = objs["Service"]
    check(any(s["spec"].get("clusterIP") == "None" for s in svcs), "k8s: no headless Service")
    check(any(s["spec"].get("clusterIP") != "None" for s in svcs), "k8s: no regular Service")
    for s in svcs:
        check(matches(s["spec"]["selector"], tmpl_labels), f"Service {s['metadata']['name']}: selects no pod")
        for p in s["spec"]["ports"]:
            check(p["targetPort"] in ports, f"Service {s['metadata']['name']}: targetPort {p['targetPort']} unknown")
    (hpa,) = objs["HorizontalPodAutoscaler"]
    ref = hpa["spec"]["scaleTargetRef"]
    check(ref["kind"] == "Deployment" and ref["name"] == dep["metadata"]["name"], "HPA: does not target the Deployment")
    kinds = {(m["type"], (m.get("resource") or {}).get("name") or m.get("pods", {}).get("metric", {}).get("name"))
             for m in hpa["spec"]["metrics"]}
    check(("Resource", "cpu") in kinds and ("Pods", "ptc_chains_in_flight") in kinds, f"HPA: metrics {kinds}")
    (pdb,) = objs["PodDisruptionBudget"]
    check(matches(pdb["spec"]["selector"]["matchLabels"], tmpl_labels), "PDB: selects no pod")
    (sm,) = objs["ServiceMonitor"]
    monitored = [s for s in svcs if matches(sm["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])]
    check(len(monitored) == 1, f"ServiceMonitor: selects {len(monitored)} Services, want 1")
    for ep in sm["spec"]["endpoints"]:
        check(monitored and ep["port"] in [p["name"] for p in monitored[0]["spec"]["ports"]],
              f"ServiceMonitor: port {ep['port']} is not a port of the monitored Service")


def main():
    entrypoint, _ = check_dockerfile()
    check_compose(entrypoint)
    check_k8s()
    # The example config in deploy/config parses too.
    check_pbtxt(open(os.path.join(DEPLOY, "config/example.pbtxt")).read(), "config/example.pbtxt")
    print(f"{passed[0]} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
