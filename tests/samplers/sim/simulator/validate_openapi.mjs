// Starts ptc-simulator on a free port, sends it requests, and validates every response body
// against the schemas of the OpenAI OpenAPI document (CreateChatCompletionResponse,
// CreateChatCompletionStreamResponse, ListModelsResponse, ErrorResponse); also checks that the
// requests themselves are valid CreateChatCompletionRequest bodies.
// Usage: node validate_openapi.mjs PTC_SIMULATOR OPENAPI_YAML NODE_MODULES_PARENT
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const [simulator, specPath, workdir] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(workdir), 'package.json'));
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;
const yaml = require('js-yaml');

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

const doc = yaml.load(readFileSync(specPath, 'utf8'));
convertNullable(doc.components);
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat('unixtime', true);
ajv.addSchema({ $id: 'https://ptc.local/openapi.json', components: doc.components });
const validator = (name) =>
  ajv.compile({ $ref: `https://ptc.local/openapi.json#/components/schemas/${name}` });
const schemas = Object.fromEntries(
  ['CreateChatCompletionRequest', 'CreateChatCompletionResponse',
   'CreateChatCompletionStreamResponse', 'ListModelsResponse', 'ErrorResponse']
    .map((n) => [n, validator(n)]));

let failures = 0;
let checked = 0;
function check(name, value, what) {
  checked++;
  if (!schemas[name](value)) {
    if (++failures > 5) return;
    console.error(`FAIL ${what}: not a valid ${name}:`);
    console.error(JSON.stringify(schemas[name].errors.slice(0, 5), null, 1));
    console.error(JSON.stringify(value).slice(0, 600));
  }
}

const child = spawn(simulator, ['--listen', '127.0.0.1:0', '--threads', '2'],
                    { stdio: ['ignore', 'pipe', 'inherit'] });
const address = await new Promise((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    const m = out.match(/listening on http:\/\/(\S+)/);
    if (m) resolve(m[1]);
  });
  child.on('exit', (code) => reject(new Error(`ptc-simulator exited with ${code}`)));
});
const base = `http://${address}`;

try {
  const prompt = 'Which is larger?\n\nA) 3\nB) 4\nC) 2\nD) 1';
  const request = (extra) => ({
    model: 'sim-reasoner', messages: [{ role: 'user', content: prompt }], n: 3, seed: 5, ...extra,
  });
  const post = (body) => fetch(`${base}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });

  for (const extra of [{}, { logprobs: true, top_logprobs: 3 }, { logprobs: true },
                       { max_completion_tokens: 5 }]) {
    const body = request(extra);
    check('CreateChatCompletionRequest', body, `request ${JSON.stringify(extra)}`);
    const res = await post(body);
    check('CreateChatCompletionResponse', await res.json(), `response ${JSON.stringify(extra)}`);
  }
  for (const extra of [{ stream: true }, { stream: true, stream_options: { include_usage: true },
                                           logprobs: true, top_logprobs: 2 }]) {
    const body = request(extra);
    check('CreateChatCompletionRequest', body, `request ${JSON.stringify(extra)}`);
    const text = await (await post(body)).text();
    const events = text.split('\n\n').filter((e) => e.length > 0);
    if (events.pop() !== 'data: [DONE]') {
      failures++;
      console.error('FAIL stream: does not end with data: [DONE]');
    }
    for (const e of events) {
      check('CreateChatCompletionStreamResponse', JSON.parse(e.slice('data: '.length)),
            `stream chunk ${JSON.stringify(extra)}`);
    }
  }
  check('ListModelsResponse', await (await fetch(`${base}/v1/models`)).json(), 'models');
  check('ErrorResponse', await (await post({ messages: [] })).json(), '400');
  check('ErrorResponse', await (await fetch(`${base}/nowhere`)).json(), '404');
} finally {
  child.kill('SIGTERM');
}
console.log(`${checked} bodies checked, ${failures} invalid`);
process.exit(failures === 0 ? 0 : 1);
