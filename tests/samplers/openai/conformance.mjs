// The OpenAI adapter against the OpenAI OpenAPI document (see openapi_conformance_test.sh):
//  1. every request body openai_conformance_tool builds is a valid CreateChatCompletionRequest
//     (VLLM/SGLANG bodies once their extension fields are removed);
//  2. stream fixtures are valid CreateChatCompletionStreamResponse chunks, and the decoder reads
//     them into the expected text, reasoning, finish reasons and disjoint usage;
//  3. a Prism mock server made from the document answers the adapter's (non-streamed) requests,
//     the answers are valid CreateChatCompletionResponse bodies and the decoder reads them
//     faithfully; when an HttpBackend test binary is given, it runs against the mock too.
// Usage: node conformance.mjs TOOL OPENAPI_YAML WORKDIR [PRISM_BACKEND_TEST]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { loadSchemas } from '../../common/openapi_schemas.mjs';

const [tool, specPath, workdir, backendTest] = process.argv.slice(2);
const schemas = loadSchemas(specPath, workdir, [
  'CreateChatCompletionRequest', 'CreateChatCompletionResponse',
  'CreateChatCompletionStreamResponse']);

let failures = 0;
const counts = { requests: 0, chunks: 0, streams: 0, prism: 0 };
function fail(what, detail) {
  failures++;
  console.error(`FAIL ${what}${detail === undefined ? '' : ': ' + detail}`);
}
function check(name, value, what) {
  if (!schemas[name](value)) {
    fail(what, `not a valid ${name}: ${JSON.stringify(schemas[name].errors.slice(0, 3))}`);
    return false;
  }
  return true;
}
function expectEqual(actual, expected, what) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    fail(what, `got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
  }
}
function runTool(args) {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    fail(`${tool} ${args.join(' ')}`, `exit ${r.status}: ${r.stdout} ${r.stderr}`);
    return null;
  }
  return r.stdout;
}

const tmp = path.join(path.resolve(workdir), 'run');
rmSync(tmp, { recursive: true, force: true });
for (const d of ['openai', 'extensions', 'streams', 'prism']) mkdirSync(path.join(tmp, d), { recursive: true });

// 1. Request bodies.
runTool(['requests', tmp]);
const requestFiles = readdirSync(path.join(tmp, 'openai')).sort();
if (requestFiles.length < 50) fail('requests', `only ${requestFiles.length} bodies written`);
for (const f of requestFiles) {
  const body = JSON.parse(readFileSync(path.join(tmp, 'openai', f), 'utf8'));
  counts.requests++;
  check('CreateChatCompletionRequest', body, `request ${f}`);
  for (const k of ['top_k', 'min_p', 'chat_template_kwargs']) {
    if (k in body) fail(`request ${f}`, `has ${k}, which is not in the OpenAI document`);
  }
}
for (const f of readdirSync(path.join(tmp, 'extensions')).sort()) {
  const body = JSON.parse(readFileSync(path.join(tmp, 'extensions', f), 'utf8'));
  counts.requests++;
  expectEqual(body.chat_template_kwargs, { enable_thinking: !f.includes('thinking0') },
              `request ${f} chat_template_kwargs`);
  for (const k of ['top_k', 'min_p', 'chat_template_kwargs']) delete body[k];
  check('CreateChatCompletionRequest', body, `request ${f} (extension fields removed)`);
}

// 2. Stream fixtures.
const header = { id: 'chatcmpl-fixture', object: 'chat.completion.chunk', created: 1700000000,
                 model: 'gpt-4o-mini', system_fingerprint: 'fp_1' };
const lp = (token, logprob, alts) => ({
  token, logprob, bytes: [...Buffer.from(token)],
  top_logprobs: alts.map(([t, l]) => ({ token: t, logprob: l, bytes: [...Buffer.from(t)] })),
});
const chunk = (index, delta, extra = {}) => ({
  ...header, choices: [{ index, delta, logprobs: null, finish_reason: null, ...extra }],
});
const usageChunk = (usage) => ({ ...header, choices: [], usage });
const streams = [
  {
    name: 'single_with_logprobs_and_think_tags', n: 1, top: 2,
    chunks: [
      chunk(0, { role: 'assistant', content: '' }),
      chunk(0, { content: '<thi' }, { logprobs: { content: [lp('<thi', -0.1, [['<thi', -0.1], ['x', -3]])], refusal: null } }),
      chunk(0, { content: 'nk>two' }, { logprobs: { content: [lp('nk>', -0.2, [['nk>', -0.2], ['y', -3]]), lp('two', -0.3, [['two', -0.3], ['one', -2]])], refusal: null } }),
      chunk(0, { content: ' steps</th' }, { logprobs: { content: [lp(' steps', -0.4, [[' steps', -0.4], [' ways', -1.6]]), lp('</th', -0.1, [['</th', -0.1], ['z', -5]])], refusal: null } }),
      chunk(0, { content: 'ink>B' }, { logprobs: { content: [lp('ink>', -0.1, [['ink>', -0.1], ['q', -5]]), lp('B', -0.5, [['B', -0.5], ['A', -1]])], refusal: null } }),
      chunk(0, {}, { finish_reason: 'stop' }),
      usageChunk({ prompt_tokens: 40, completion_tokens: 106, total_tokens: 146,
                   completion_tokens_details: { reasoning_tokens: 100 },
                   prompt_tokens_details: { cached_tokens: 32 } }),
    ],
    want: [{ text: 'B', reasoning: 'two steps', finish_reason: 'stop', tokens: 7, logprobs: 7,
             usage: { prompt: 40, cached_prompt: 32, completion: 6, reasoning: 100 } }],
  },
  {
    name: 'two_choices_interleaved', n: 2, top: 0,
    chunks: [
      chunk(0, { role: 'assistant', content: '' }),
      chunk(1, { role: 'assistant', content: '' }),
      chunk(1, { content: 'The answer' }),
      chunk(0, { content: 'It is' }),
      chunk(1, { content: ' is C.' }, { finish_reason: 'length' }),
      chunk(0, { content: ' A.' }),
      chunk(0, {}, { finish_reason: 'stop' }),
      usageChunk({ prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 }),
    ],
    want: [{ text: 'It is A.', reasoning: '', finish_reason: 'stop', tokens: 2, logprobs: 0,
             usage: { prompt: 12, cached_prompt: 0, completion: 4, reasoning: 0 } },
           { text: 'The answer is C.', reasoning: '', finish_reason: 'length', tokens: 2,
             logprobs: 0, usage: { prompt: 0, cached_prompt: 0, completion: 4, reasoning: 0 } }],
  },
];
for (const s of streams) {
  let sse = '';
  for (const c of s.chunks) {
    counts.chunks++;
    check('CreateChatCompletionStreamResponse', c, `${s.name} chunk`);
    sse += `data: ${JSON.stringify(c)}\n\n`;
  }
  sse += 'data: [DONE]\n\n';
  const file = path.join(tmp, 'streams', `${s.name}.sse`);
  writeFileSync(file, sse);
  const out = runTool(['decode-stream', file, String(s.n), String(s.top)]);
  if (out === null) continue;
  counts.streams++;
  const got = JSON.parse(out);
  expectEqual(got.complete, true, `${s.name} complete`);
  s.want.forEach((w, i) => {
    const c = got.choices[i];
    for (const k of Object.keys(w)) expectEqual(c[k], w[k], `${s.name} choice ${i} ${k}`);
    expectEqual(c.streamed_text, w.text, `${s.name} choice ${i} streamed text`);
    expectEqual(c.streamed_reasoning, w.reasoning, `${s.name} choice ${i} streamed reasoning`);
  });
}

// 3. Prism.
async function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
const port = await freePort();
const prismBin = path.join(path.resolve(workdir), 'node_modules', '.bin', 'prism');
// Dynamic answers (every field drawn from its schema; deterministic with --seed), so that the
// counts and texts checked below are not all zero and "string".
const prism = spawn(prismBin, ['mock', '-d', '--seed', 'ptc', '-h', '127.0.0.1', '-p',
                               String(port), specPath],
                    { stdio: ['ignore', 'pipe', 'pipe'] });
let prismLog = '';
prism.stdout.on('data', (d) => { prismLog += d; });
prism.stderr.on('data', (d) => { prismLog += d; });
const base = `http://127.0.0.1:${port}`;
try {
  let up = false;
  for (let i = 0; i < 3000 && !up; i++) {  // up to 5 minutes: the document is large
    if (prism.exitCode !== null) break;
    try {
      await fetch(`${base}/models`, { headers: { authorization: 'Bearer sk-test' } });
      up = true;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (!up) {
    fail('prism', `did not start: ${prismLog.slice(-2000)}`);
  } else {
    for (const f of requestFiles.filter((x) => x.includes('_body'))) {
      const request = readFileSync(path.join(tmp, 'openai', f), 'utf8');
      const res = await fetch(`${base}/chat/completions`, {
        method: 'POST', body: request,
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
      });
      const text = await res.text();
      if (res.status !== 200) {
        fail(`prism ${f}`, `HTTP ${res.status}: ${text.slice(0, 300)}`);
        continue;
      }
      counts.prism++;
      const body = JSON.parse(text);
      check('CreateChatCompletionResponse', body, `prism answer to ${f}`);
      // The mock draws choice indexes at random; a server numbers its choices 0..n-1.
      body.choices.forEach((c, i) => { c.index = i; });
      const file = path.join(tmp, 'prism', f);
      writeFileSync(file, JSON.stringify(body));
      const n = body.choices.length;
      const out = runTool(['decode-body', file, String(n), '0']);
      if (out === null) continue;
      const got = JSON.parse(out);
      expectEqual(got.complete, true, `prism ${f} complete`);
      let completion = 0, reasoning = 0;
      body.choices.forEach((c) => {
        const g = got.choices[c.index];
        const content = c.message.content ?? '';
        if (!content.includes('<think>')) expectEqual(g.text, content, `prism ${f} text`);
        expectEqual(g.finish_reason, c.finish_reason, `prism ${f} finish_reason`);
        completion += g.usage.completion;
        reasoning += g.usage.reasoning;
      });
      // Counts as the decoder reads them: negative ones (the mock draws any integer) are 0.
      const count = (x) => Math.max(0, x ?? 0);
      const u = body.usage;
      const prompt = count(u.prompt_tokens);
      const output = count(u.completion_tokens);
      expectEqual(got.choices[0].usage.prompt, prompt, `prism ${f} prompt tokens`);
      expectEqual(got.choices[0].usage.cached_prompt,
                  Math.min(count(u.prompt_tokens_details?.cached_tokens), prompt),
                  `prism ${f} cached tokens`);
      expectEqual(completion + reasoning, output, `prism ${f} output tokens`);
      expectEqual(reasoning, Math.min(count(u.completion_tokens_details?.reasoning_tokens), output),
                  `prism ${f} reasoning tokens`);
    }
    if (backendTest) {
      const r = spawnSync(backendTest, [], { encoding: 'utf8',
                                            env: { ...process.env, PTC_PRISM_URL: base } });
      process.stdout.write(r.stdout.split('\n').filter((l) => /OK|FAILED|PASSED/.test(l)).join('\n') + '\n');
      if (r.status !== 0) fail('HttpBackend against prism', `${r.stdout.slice(-3000)} ${r.stderr.slice(-1000)}`);
    }
  }
} finally {
  prism.kill('SIGTERM');
}
console.log(`${counts.requests} requests, ${counts.chunks} stream chunks in ${counts.streams} ` +
            `streams, ${counts.prism} Prism answers checked; ${failures} failures`);
process.exit(failures === 0 ? 0 : 1);
