#!/usr/bin/env python3
"""A Solve server written the way a user would without ptc: Python asyncio, grpc.aio and aiohttp.

It serves ptc.v1.Orchestrator/Solve (the same API as ptc-server, so ptc-bench drives both the
same way): for each request it sends one streamed chat completion per chain to an
OpenAI-compatible backend, all at once with asyncio.gather, reads each stream, extracts the
answer with the simple-evals pattern and returns the majority answer with one record per chain.
It is ptc-bench's baseline for chains per CPU-second and memory per chain.

Needs Debian's python3-grpcio, python3-protobuf and python3-aiohttp, and protoc (the message
classes are generated from the repository's proto/ at start-up into --gen_dir).

  /usr/bin/python3 bench/peers/asyncio_fanout.py --listen 127.0.0.1:0 \
      --backend http://127.0.0.1:8000/v1 --proto_dir proto --gen_dir /tmp/asyncio_pb
"""

import argparse
import asyncio
import collections
import json
import os
import re
import subprocess
import sys

import aiohttp
import grpc

ANSWER = re.compile(r"(?i)Answer[ \t]*:[ \t]*\$?([A-D])\$?")


def load_messages(proto_dir, gen_dir):
    os.makedirs(gen_dir, exist_ok=True)
    subprocess.run(["protoc", f"-I{proto_dir}", f"--python_out={gen_dir}",
                    "ptc/v1/orchestrator.proto"], check=True)
    sys.path.insert(0, gen_dir)
    from ptc.v1 import orchestrator_pb2  # pylint: disable=import-outside-toplevel
    return orchestrator_pb2


class Solver:
    def __init__(self, pb, backend, session):
        self.pb = pb
        self.url = backend.rstrip("/") + "/chat/completions"
        self.session = session

    async def chain(self, messages, model, max_tokens):
        body = {"model": model, "messages": messages, "stream": True,
                "stream_options": {"include_usage": True}}
        if max_tokens:
            body["max_completion_tokens"] = max_tokens
        text, usage = [], {}
        async with self.session.post(self.url, json=body) as resp:
            resp.raise_for_status()
            async for line in resp.content:
                if not line.startswith(b"data: "):
                    continue
                data = line[6:].strip()
                if data == b"[DONE]":
                    break
                chunk = json.loads(data)
                if chunk.get("usage"):
                    usage = chunk["usage"]
                for choice in chunk.get("choices", []):
                    content = choice.get("delta", {}).get("content")
                    if content:
                        text.append(content)
        match = ANSWER.search("".join(text))
        return (match.group(1).upper() if match else None), usage

    async def solve(self, request, context):
        roles = {1: "system", 2: "user", 3: "assistant"}
        messages = [{"role": roles.get(m.role, "user"), "content": m.content}
                    for m in request.messages]
        jobs = []
        for group in request.sampling:
            for _ in range(max(group.n, 1)):
                jobs.append(self.chain(messages, group.model or "fake", group.max_tokens))
        results = await asyncio.gather(*jobs, return_exceptions=True)
        response = self.pb.SolveResponse()
        votes = collections.Counter()
        for i, result in enumerate(results):
            record = response.chains.add(index=i)
            if isinstance(result, BaseException):
                record.status = self.pb.CHAIN_STATUS_FAILED
                record.error = str(result)[:200]
                continue
            answer, usage = result
            record.status = self.pb.CHAIN_STATUS_OK
            record.usage.prompt_tokens = usage.get("prompt_tokens", 0)
            record.usage.completion_tokens = usage.get("completion_tokens", 0)
            if answer is None:
                response.unparseable_chains += 1
            else:
                record.parseable = True
                record.answer = answer
                votes[answer] += 1
        if not votes and all(isinstance(r, BaseException) for r in results):
            await context.abort(grpc.StatusCode.UNAVAILABLE, "every chain failed")
        if votes:
            answer, count = votes.most_common(1)[0]
            response.answer = answer
            response.confidence = count / sum(votes.values())
        response.strategy = "majority"
        return response


async def serve(args):
    pb = load_messages(args.proto_dir, args.gen_dir)
    # No connection cap: every chain of every request runs at once, as in ptc.
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                    timeout=aiohttp.ClientTimeout(total=None))
    solver = Solver(pb, args.backend, session)
    server = grpc.aio.server()
    handler = grpc.method_handlers_generic_handler("ptc.v1.Orchestrator", {
        "Solve": grpc.unary_unary_rpc_method_handler(
            solver.solve,
            request_deserializer=pb.SolveRequest.FromString,
            response_serializer=pb.SolveResponse.SerializeToString),
    })
    server.add_generic_rpc_handlers((handler,))
    host = args.listen.rsplit(":", 1)[0]
    port = server.add_insecure_port(args.listen)
    await server.start()
    print(f"asyncio-fanout listening on {host}:{port}", flush=True)
    await server.wait_for_termination()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--backend", required=True, help="OpenAI-compatible base URL")
    parser.add_argument("--proto_dir", required=True)
    parser.add_argument("--gen_dir", required=True)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
