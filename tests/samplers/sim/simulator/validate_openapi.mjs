// Starts ptc-simulator on a free port, sends it requests, and validates every response body
// against the schemas of the OpenAI OpenAPI document (CreateChatCompletionResponse,
// CreateChatCompletionStreamResponse, ListModelsResponse, ErrorResponse); also checks that the
// requests themselves are valid CreateChatCompletionRequest bodies.
// Usage: node validate_openapi.mjs PTC_SIMULATOR OPENAPI_YAML NODE_MODULES_PARENT
import { spawn } from 'node:child_process';

import { loadSchemas } from '../../../common/openapi_schemas.mjs';

const [simulator, specPath, workdir] = process.argv.slice(2);
const schemas = loadSchemas(specPath, workdir, [
  'CreateChatCompletionRequest', 'CreateChatCompletionResponse',
  'CreateChatCompletionStreamResponse', 'ListModelsResponse', 'ErrorResponse']);

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
