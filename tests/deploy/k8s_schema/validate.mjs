// Validates every manifest that deploy/k8s/kustomization.yaml lists against the Kubernetes API
// schemas (kubernetes-models: the OpenAPI schemas of the Kubernetes API, and the Prometheus
// Operator's CRDs for ServiceMonitor), offline. Checks types, required fields and enums; like
// kubectl without --validate=strict, it does not reject unknown fields (check_manifests.py
// checks the fields ptc relies on).
// Usage: node validate.mjs DEPLOY_K8S_DIR
import fs from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { ConfigMap, Secret, Service } from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const models = {
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
};
const dir = process.argv[2];
const kustomization = yaml.load(fs.readFileSync(path.join(dir, "kustomization.yaml"), "utf8"));
let failed = 0;
let passed = 0;
for (const file of kustomization.resources) {
  for (const doc of yaml.loadAll(fs.readFileSync(path.join(dir, file), "utf8"))) {
    if (!doc) continue;
    const key = `${doc.apiVersion}/${doc.kind}`;
    const where = `${file}: ${doc.kind} ${doc.metadata?.name}`;
    const Model = models[key];
    if (!Model) {
      console.log(`FAIL ${where}: no schema for ${key}`);
      failed++;
      continue;
    }
    try {
      new Model(doc).validate();
      console.log(`ok   ${where}`);
      passed++;
    } catch (e) {
      console.log(`FAIL ${where}: ${e.message}`);
      failed++;
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
