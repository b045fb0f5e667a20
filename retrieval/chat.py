"""Chat-model clients for the optional LLM answerer: an OpenAI-compatible endpoint or a local GGUF."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

# Bounds generation time of the local model, which cannot be interrupted once started.
LOCAL_MAX_TOKENS = 512


class ChatError(Exception):
    """The chat model gave no usable reply: timeout, HTTP error, malformed response, missing package."""


class ChatModel(Protocol):
    """Anything that turns chat messages into one reply."""

    name: str

    def complete(self, messages: list[dict[str, str]], timeout: float) -> str:
        """The assistant's reply to `messages`; raises ChatError when there is none."""
        ...


def chat_completions_url(base_url: str) -> str:
    """`{base}/chat/completions`; a bare server root (no path) gets `/v1`, any other path is kept as given."""
    base = base_url.strip().rstrip("/")
    # "http://host:8080" is a llama.cpp/vLLM/Ollama root: their OpenAI API lives under /v1. A URL with
    # a path ("…/v1", "…/api/v1", "…/openai") already names the API root, so it is used unchanged.
    if not urlsplit(base).path:
        base += "/v1"
    return f"{base}/chat/completions"


def reply_content(body: Any) -> str:
    """`choices[0].message.content` of an OpenAI-style response; raises ChatError when it is missing."""
    try:
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise ChatError(f"malformed chat response: no choices[0].message.content ({type(exc).__name__})") from exc
    if not isinstance(content, str):
        raise ChatError(f"malformed chat response: content is {type(content).__name__}, not text")
    return content


class OpenAIChatModel:
    """Any server speaking the OpenAI chat-completions API (llama.cpp server, Ollama, vLLM, hosted APIs)."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = chat_completions_url(base_url)
        self.model = model
        self.name = f"openai:{model}"
        self._api_key = api_key or None
        self._transport = transport

    def __repr__(self) -> str:  # never show the key
        return f"OpenAIChatModel(url={self.url!r}, model={self.model!r}, api_key={'***' if self._api_key else None})"

    def complete(self, messages: list[dict[str, str]], timeout: float) -> str:
        """POST the messages at temperature 0 and return the reply text."""
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        body = {"model": self.model, "messages": messages, "temperature": 0}
        try:
            # One short-lived client per question: nothing to close, and a question costs seconds anyway.
            with httpx.Client(transport=self._transport, timeout=timeout) as client:
                response = client.post(self.url, json=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise ChatError(f"{self.url} did not answer within {timeout:g}s") from exc
        except httpx.HTTPError as exc:
            raise ChatError(f"cannot reach {self.url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise ChatError(f"{self.url} answered HTTP {response.status_code}: {response.text[:200]!r}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise ChatError(f"malformed chat response from {self.url}: not JSON") from exc
        return reply_content(payload)


class LlamaCppChatModel:
    """A local GGUF model through llama-cpp-python (the optional `llm` extra), loaded on first use."""

    def __init__(self, gguf_path: Path | str) -> None:
        try:
            import llama_cpp  # noqa: F401  (optional extra: fail here, with the fix, rather than mid-answer)
        except ImportError as exc:
            raise ChatError('the local LLM needs llama-cpp-python: run pip install -e ".[llm]" '
                            "(or unset NTM_LLM_GGUF)") from exc
        self.path = Path(gguf_path)
        self.name = f"llama.cpp:{self.path.name}"
        self._llm: Any = None
        # llama.cpp contexts are not thread-safe; the web app may ask from several threads.
        self._lock = threading.Lock()

    def _model(self) -> Any:
        if self._llm is None:
            from llama_cpp import Llama

            if not self.path.is_file():
                raise ChatError(f"GGUF model file not found: {self.path}")
            try:
                self._llm = Llama(model_path=str(self.path), n_ctx=8192, verbose=False)
            except Exception as exc:  # llama.cpp raises ValueError/RuntimeError on bad files
                raise ChatError(f"cannot load {self.path}: {exc}") from exc
        return self._llm

    def complete(self, messages: list[dict[str, str]], timeout: float) -> str:
        """Generate the reply locally; `timeout` is not enforced (generation is bounded by max_tokens)."""
        with self._lock:
            llm = self._model()
            try:
                result = llm.create_chat_completion(messages=messages, temperature=0, max_tokens=LOCAL_MAX_TOKENS)
            except Exception as exc:
                raise ChatError(f"local model failed: {type(exc).__name__}: {exc}") from exc
        return reply_content(result)
