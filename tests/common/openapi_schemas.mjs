// Validators for schemas of the OpenAI OpenAPI document (../shared/specs), shared by the
// conformance tests. The npm packages (ajv, ajv-formats, js-yaml) are resolved from
// WORKDIR/node_modules, where the calling test installed them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// OpenAPI's `nullable` is not JSON Schema: beside a `type` it admits null (also past an `enum`);
// beside no `type` it is dropped (see ../shared/specs/README.md).
function convertNullable(node) {
  if (Array.isArray(node)) return node.forEach(convertNullable);
  if (node === null || typeof node !== 'object') return;
  if (node.nullable === true && 'type' in node) {
    const types = Array.isArray(node.type) ? node.type : [node.type];
    if (!types.includes('null')) node.type = [...types, 'null'];
    if (Array.isArray(node.enum) && !node.enum.includes(null)) node.enum = [...node.enum, null];
  }
  delete node.nullable;
  Object.values(node).forEach(convertNullable);
}

// Returns { name: validate } for each of `names` (components/schemas of the document at
// `specPath`); each validate(value) is an ajv validator (false + .errors on a mismatch).
export function loadSchemas(specPath, workdir, names) {
  const require = createRequire(path.join(path.resolve(workdir), 'package.json'));
  const Ajv2020 = require('ajv/dist/2020').default;
  const addFormats = require('ajv-formats').default;
  const yaml = require('js-yaml');
  const doc = yaml.load(readFileSync(specPath, 'utf8'));
  convertNullable(doc.components);
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('unixtime', true);
  ajv.addSchema({ $id: 'https://ptc.local/openapi.json', components: doc.components });
  return Object.fromEntries(names.map(
      (n) => [n, ajv.compile({ $ref: `https://ptc.local/openapi.json#/components/schemas/${n}` })]));
}
