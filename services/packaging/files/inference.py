"""Run the fine-tuned model of this package: one answer, or an OpenAI-compatible server.

    python inference.py "How should I start saving for retirement?"
    python inference.py --serve --port 8000     # POST /v1/chat/completions, GET /v1/models

Needs only torch, transformers and peft (requirements.txt). The base model is the one named in
adapters/adapter_config.json, downloaded from the Hugging Face hub on first use; set
BRIGHTRUN_BASE_MODEL_PATH to a local copy of it to run offline. BRIGHTRUN_ADAPTER_PATH points at
another adapter folder (default: adapters/ beside this file).

This file is self-contained on purpose: it must run on a machine that has never seen Bright Run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Lock

HERE = Path(__file__).resolve().parent
MODEL_NAME = "brightrun-adapter"  # what /v1/models lists; any `model` value is accepted


def adapter_dir() -> Path:
    return Path(os.environ.get("BRIGHTRUN_ADAPTER_PATH") or HERE / "adapters")


def base_model_source() -> str:
    local = os.environ.get("BRIGHTRUN_BASE_MODEL_PATH")
    if local:
        return local
    config = json.loads((adapter_dir() / "adapter_config.json").read_text())
    return config["base_model_name_or_path"]


class Model:
    """The base model with the adapter applied (or not, with `use_adapter=False`)."""

    def __init__(self, use_adapter: bool = True) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = torch.bfloat16 if self.device == "cuda" else torch.float32
        source = base_model_source()
        self.tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype)
        if use_adapter:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(adapter_dir()))
        self.model = model.to(self.device).eval()
        self.lock = Lock()  # one generation at a time: the model is not re-entrant

    def chat(self, messages: list[dict[str, str]], max_new_tokens: int = 256,
             temperature: float = 0.0) -> tuple[str, int, int]:
        """(answer, prompt tokens, answer tokens). Temperature 0: greedy, reproducible."""
        if self.tokenizer.chat_template:
            prompt = self.tokenizer.apply_chat_template(messages, tokenize=False,
                                                        add_generation_prompt=True)
        else:
            prompt = "\n".join(f"{m['role']}: {m['content']}" for m in messages) + "\nassistant:"
        inputs = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        inputs = {k: v.to(self.device) for k, v in inputs.items()}
        sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {
            "do_sample": False}
        pad = self.tokenizer.pad_token_id
        with self.lock, self.torch.no_grad():
            out = self.model.generate(**inputs, max_new_tokens=max_new_tokens,
                                      pad_token_id=self.tokenizer.eos_token_id if pad is None else pad,
                                      **sampling)
        new = out[0, inputs["input_ids"].shape[1]:]
        text = self.tokenizer.decode(new, skip_special_tokens=True).strip()
        return text, int(inputs["input_ids"].shape[1]), int(new.shape[0])


def messages_for(prompt: str, system: str | None) -> list[dict[str, str]]:
    return ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": prompt}]


# --- the OpenAI-compatible server -----------------------------------------------------------------


def completion(model: Model, body: dict) -> dict:
    messages = [{"role": m["role"], "content": _text(m.get("content"))}
                for m in body.get("messages", [])]
    if not messages:
        raise ValueError("messages must hold at least one message")
    max_tokens = int(body.get("max_tokens") or body.get("max_completion_tokens") or 256)
    text, prompt_tokens, answer_tokens = model.chat(messages, max_tokens,
                                                    float(body.get("temperature") or 0.0))
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion",
        "created": int(time.time()), "model": body.get("model") or MODEL_NAME,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": "length" if answer_tokens >= max_tokens else "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": answer_tokens,
                  "total_tokens": prompt_tokens + answer_tokens},
    }


def _text(content: object) -> str:
    """OpenAI content is a string or a list of parts; only text parts are read."""
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content or "")


def handler_for(model: Model) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/v1/models":
                self._json(200, {"object": "list", "data": [
                    {"id": MODEL_NAME, "object": "model", "created": 0, "owned_by": "brightrun"}]})
            elif self.path == "/health":
                self._json(200, {"status": "ok"})
            else:
                self._error(404, f"no route {self.path}")

        def do_POST(self) -> None:
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._error(404, f"no route {self.path}")
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                answer = completion(model, body)
            except (ValueError, KeyError, TypeError) as exc:
                return self._error(400, str(exc))
            if body.get("stream"):
                return self._stream(answer)
            self._json(200, answer)

        def _stream(self, answer: dict) -> None:
            # Server-sent events as OpenAI sends them; the answer is made whole, then sent.
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            choice = answer["choices"][0]
            for delta, finish in (({"role": "assistant", "content": choice["message"]["content"]},
                                   None), ({}, choice["finish_reason"])):
                chunk = {**{k: answer[k] for k in ("id", "created", "model")},
                         "object": "chat.completion.chunk",
                         "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")

        def _json(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str) -> None:
            self._json(status, {"error": {"message": message, "type": "invalid_request_error"}})

        def log_message(self, fmt: str, *args: object) -> None:
            sys.stderr.write(f"{self.address_string()} {fmt % args}\n")

    return Handler


def serve(model: Model, host: str, port: int) -> None:
    server = ThreadingHTTPServer((host, port), handler_for(model))
    print(f"Serving on http://{host}:{server.server_port}/v1 (OpenAI-compatible)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("prompt", nargs="?", help="what to ask the model")
    parser.add_argument("--system", default=os.environ.get("BRIGHTRUN_SYSTEM_PROMPT"),
                        help="a system prompt (default: none, or $BRIGHTRUN_SYSTEM_PROMPT)")
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--temperature", type=float, default=0.0, help="0: greedy (default)")
    parser.add_argument("--no-adapter", action="store_true",
                        help="answer with the base model alone, to compare")
    parser.add_argument("--serve", action="store_true", help="run an OpenAI-compatible server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if not args.serve and not args.prompt:
        parser.error('give a prompt (python inference.py "your question") or --serve')
    model = Model(use_adapter=not args.no_adapter)
    if args.serve:
        serve(model, args.host, args.port)
        return 0
    text, _, _ = model.chat(messages_for(args.prompt, args.system), args.max_new_tokens,
                            args.temperature)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
