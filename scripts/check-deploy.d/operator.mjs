// Validates every Prometheus Operator resource (monitoring.coreos.com) in the YAML files given, with the
// operator's own CRD schemas as @kubernetes-models/prometheus-operator ships them (no download at run
// time). Exit 1 if any is invalid or of a kind it has no schema for. Run by scripts/check-deploy.
import fs from "node:fs";
import YAML from "yaml";

let failed = false;
for (const file of process.argv.slice(2)) {
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))) {
    const object = doc.toJS();
    if (!object || !String(object.apiVersion).startsWith("monitoring.coreos.com/")) continue;
    const name = `${file}: ${object.kind}/${object.metadata?.name}`;
    let Model;
    try {
      const module = await import(`@kubernetes-models/prometheus-operator/${object.apiVersion}/${object.kind}`);
      Model = module[object.kind];
    } catch (e) {
      console.error(`ERROR ${name}: no schema for ${object.apiVersion} ${object.kind}: ${e.message}`);
      failed = true;
      continue;
    }
    try {
      new Model(object).validate();
      console.log(`INFO ${name} passed`);
    } catch (e) {
      console.error(`ERROR ${name} did not validate: ${e.message}`);
      failed = true;
    }
  }
}
process.exit(failed ? 1 : 0);
