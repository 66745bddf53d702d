"""The chat handler the embedded server runs: the model's own template in, OpenAI ``tool_calls`` out.

llama-cpp-python 0.3.36's ``chatml-function-calling`` format left tool results
out of the prompt (its template has no branch for role ``tool``), forced text
replies to be empty, and listed tools only under a system message, so no
embedded assistant could use a result. This handler replaces it, registered
under ``NATIVE_TOOLS_FORMAT`` through llama-cpp-python's public handler registry:

- the prompt is the model's own GGUF chat template (``chat_template``);
- ``tool_choice`` ``"auto"`` (the default): free generation; ``<tool_call>``
  blocks (several: parallel calls), and failing those JSON calls in code
  fences or bare, are read back as ``tool_calls``. A text reply that names an
  offered function, or that invents a ``<tool_response>``, is a call the model
  wrote as text (Qwen2.5-Coder does both): the reply is asked for again from ``<tool_call>``, held by a grammar
  to one call of the offered tools. (Holding every reply to "calls or plain text"
  made it worse: the model narrated the call in prose instead.) A reply that
  ends at once, with neither text nor a call, is asked for again, held to one
  that says something (the 1.5B model did so after a second tool result).
  A call already answered, and beside a ready call one that waits for a
  value, are left out (``calls_to_make``); a reply left with no call is asked
  for again as text, with the tools out of the prompt;
- a named tool or ``"required"`` (``allowed_tools`` arrives as one of these,
  see ``request_compat``): the reply opens a ``<tool_call>`` block and a grammar built from the tools'
  parameter schemas constrains the call; ``"none"``: tools are not shown;
- ``response_format`` ``json_object`` (with an optional ``schema``): the reply
  is constrained by the schema's grammar;
- the request's ``max_tokens`` and ``seed`` are honoured; a seeded request keeps
  only whole batches of the last prompt's evaluation (``prompt_reuse``), so that
  the same prompt and seed give the same sample.

Regex ``pattern``s reach the grammar in a form the grammar builder takes (it
crashes the server on ``\\d``), or not at all (``grammar_safe``). A streamed
request gets the finished reply as chunks.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

from llama_cpp import llama_grammar

from button.data_model.json_types import (
    ChatMessage,
    ChatResponse,
    JsonSchema,
    ResponseFormat,
    TextCompletion,
    ToolChoice,
    ToolDefinition,
)
from button.embedded.calls_to_make import calls_to_make
from button.embedded.chat_template import render_prompt
from button.embedded.prompt_reuse import keep_reusable_prefix
from button.embedded.tool_call_text import CLOSE, OPEN, parse_reply, read_call
from button.llm.structured import grammar_safe

NATIVE_TOOLS_FORMAT = "button-native-tools"
SAMPLING = (
    "temperature", "top_p", "top_k", "min_p", "typical_p", "seed", "presence_penalty",
    "frequency_penalty", "repeat_penalty", "logit_bias",
)  # fmt: skip


def native_tools_handler(
    *,
    llama: Any,
    messages: list[ChatMessage],
    tools: list[ToolDefinition] | None = None,
    tool_choice: ToolChoice | None = None,
    functions: list[dict[str, Any]] | None = None,
    response_format: ResponseFormat | None = None,
    max_tokens: int | None = None,
    stop: str | list[str] | None = None,
    stream: bool = False,
    **kwargs: Any,
) -> Any:
    """A chat completion in OpenAI's response format (a chunk iterator when ``stream``)."""
    if functions and not tools:
        tools = [{"type": "function", "function": function} for function in functions]
    offered, forced = _tool_choice(tools or [], tool_choice)

    def rendered(shown: list[ToolDefinition]) -> str:
        return render_prompt(
            llama.metadata.get("tokenizer.chat_template", ""),
            messages,
            shown or None,
            bos_token=_token_text(llama, llama.token_bos()),
            eos_token=_token_text(llama, llama.token_eos()),
        )

    prompt = rendered(offered)
    grammar = None
    if forced:
        prompt += f"{OPEN}\n"
        grammar = _grammar(_call_schema(forced))
    elif response_format and response_format.get("type") == "json_object":
        grammar = _grammar(response_format.get("schema") or {"type": "object"})
    seeded = kwargs.get("seed") is not None
    sampling = {key: kwargs[key] for key in SAMPLING if kwargs.get(key) is not None}
    stops = [stop] if isinstance(stop, str) else list(stop or [])

    def complete(text: str, constraint: Any) -> TextCompletion:
        tokens = llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        if seeded:  # the same prompt and seed give the same sample
            keep_reusable_prefix(llama, tokens)
        return dict(
            llama.create_completion(
                prompt=tokens, max_tokens=max_tokens, stop=stops, grammar=constraint, stream=False, **sampling
            )
        )

    names = {tool["function"]["name"] for tool in offered}
    completion = complete(prompt, grammar)
    response = _chat_response(completion, names, forced=bool(forced))

    def again(opening: str, constraint: Any, asked: str = prompt) -> ChatResponse:
        retried = complete(asked + opening, constraint)
        retried["choices"][0]["text"] = opening + retried["choices"][0]["text"]
        retried["usage"] = _added(completion["usage"], retried["usage"])
        return _chat_response(retried, names, forced=False)

    if not forced and not response_format:
        if meant_to_call(response, names):
            # The model wrote a call as prose or XML: ask again, held to tool-call blocks.
            response = again(f"{OPEN}\n", _calls_grammar(offered))
        elif is_empty(response):
            # The model ended its turn at once (the 1.5B model did after a second tool result,
            # with the answer still owed): ask again, held to a reply that says something.
            response = again("", _says_something())
        if not _keep_calls_to_make(response, messages):
            # Every call was answered before: the answer is owed. Asked with the tools in view, the
            # 1.5B model explained how to call one instead of giving the result, so they are not.
            response = again("", _plain_text(), asked=rendered([]))
            _keep_calls_to_make(response, messages)
    return _as_chunks(response) if stream else response


def _tool_choice(
    tools: list[ToolDefinition], choice: ToolChoice | None
) -> tuple[list[ToolDefinition], list[ToolDefinition]]:
    """(the tools shown to the model, the tools one of which it must call)."""
    tools = [grammar_safe(tool) for tool in tools if tool.get("type", "function") == "function"]
    if not tools or choice == "none":
        return [], []
    if choice == "required":
        return tools, tools
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        named = [tool for tool in tools if tool["function"]["name"] == name]
        if not named:
            raise ValueError(f"tool_choice names {name!r}, which is not among the tools")
        return tools, named
    return tools, []


def _call_schema(tools: list[ToolDefinition]) -> JsonSchema:
    """The JSON Schema of one call of any of ``tools``, name first."""
    options = [
        {
            "type": "object",
            "properties": {
                "name": {"const": tool["function"]["name"]},
                "arguments": tool["function"].get("parameters") or {"type": "object"},
            },
            "required": ["name", "arguments"],
        }
        for tool in tools
    ]
    return options[0] if len(options) == 1 else {"anyOf": options}


def _grammar(schema: JsonSchema) -> Any:
    try:
        return llama_grammar.LlamaGrammar.from_json_schema(json.dumps(grammar_safe(schema)), verbose=False)
    except Exception:  # a schema the grammar builder cannot express: any JSON value
        return llama_grammar.LlamaGrammar.from_string(llama_grammar.JSON_GBNF, verbose=False)


def _calls_grammar(tools: list[ToolDefinition]) -> Any:
    """The rest of a reply that has opened a tool-call block: one call of ``tools``. (More were
    allowed at first; the 1.5B model then repeated calls it had already made.)"""
    calls = llama_grammar.json_schema_to_gbnf(json.dumps(grammar_safe(_call_schema(tools))))
    calls = re.sub(r"^root ::=", "button-call ::=", calls, flags=re.MULTILINE)
    try:
        return llama_grammar.LlamaGrammar.from_string(
            f'root ::= button-call "\\n{CLOSE}"\n' + calls, verbose=False
        )
    except Exception:  # a schema the grammar builder cannot express: any JSON
        return _grammar({"type": "object"})


def meant_to_call(response: ChatResponse, names: set[str]) -> bool:
    """A text reply that names an offered function (a call the model wrote as prose or XML: a
    reply to the user has no reason to spell a function's snake_case name), or that writes a
    tool's response itself (Qwen's template wraps results in ``<tool_response>``; the model
    went on to invent the next result instead of calling for it)."""
    message = response["choices"][0]["message"]
    text = message.get("content") or ""
    if message.get("tool_calls"):
        return False
    return "<tool_response>" in text or any(re.search(rf"\b{re.escape(name)}\b", text) for name in names)


def is_empty(response: ChatResponse) -> bool:
    """A reply with neither a call nor any text."""
    message = response["choices"][0]["message"]
    return not message.get("tool_calls") and not (message.get("content") or "").strip()


def _keep_calls_to_make(response: ChatResponse, messages: list[ChatMessage]) -> bool:
    """Leave in ``response`` the calls to make now (``calls_to_make``); False when it had calls
    and none is left."""
    choice = response["choices"][0]
    calls = choice["message"].get("tool_calls")
    if not calls:
        return True
    kept = calls_to_make(calls, messages)
    if kept:
        choice["message"]["tool_calls"] = kept
        return True
    del choice["message"]["tool_calls"]
    choice["message"]["content"] = choice["message"].get("content") or ""
    choice["finish_reason"] = "stop"
    return False


def _plain_text() -> Any:
    """A reply in words: it opens with neither a tool-call block nor JSON, and writes no tags."""
    return llama_grammar.LlamaGrammar.from_string(r"root ::= [^<{`\[ \t\r\n] [^<]*", verbose=False)


def _says_something() -> Any:
    """Any reply whose first character is not blank (a call, or text)."""
    return llama_grammar.LlamaGrammar.from_string(r"root ::= [^ \t\r\n] [^\x00]*", verbose=False)


def _added(first: dict[str, int], second: dict[str, int]) -> dict[str, int]:
    return {
        key: first.get(key, 0) + second.get(key, 0)
        for key in ("prompt_tokens", "completion_tokens", "total_tokens")
    }


def _token_text(llama: Any, token: int) -> str:
    if token < 0:
        return ""
    return str(llama.detokenize([token], special=True).decode("utf-8", errors="ignore"))


def _chat_response(completion: TextCompletion, offered: set[str], *, forced: bool) -> ChatResponse:
    choice = completion["choices"][0]
    text: str = choice["text"]
    if forced:
        call = read_call(text)
        calls = [call] if call is not None else []
        content = None if calls else text
    else:
        reply = parse_reply(text, offered)
        content, calls = reply.content, reply.tool_calls
    message: ChatMessage = {
        "role": "assistant",
        "content": content if content is not None or calls else "",
    }
    if calls:
        message["tool_calls"] = calls
    return {
        "id": f"chat{completion['id']}",
        "object": "chat.completion",
        "created": completion["created"],
        "model": completion["model"],
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if calls else choice["finish_reason"],
            }
        ],
        "usage": completion["usage"],
    }


def _as_chunks(response: ChatResponse) -> Iterator[ChatResponse]:
    """The finished reply as OpenAI stream chunks: role, content or calls, then the finish."""
    choice = response["choices"][0]
    message = choice["message"]
    head = {"id": response["id"], "object": "chat.completion.chunk", "created": int(time.time())}
    head["model"] = response["model"]
    delta: ChatMessage = {"role": "assistant", "content": message.get("content")}
    if message.get("tool_calls"):
        delta["tool_calls"] = [{"index": index, **call} for index, call in enumerate(message["tool_calls"])]
    yield {**head, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}]}
    yield {
        **head,
        "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": choice["finish_reason"]}],
        "usage": response["usage"],
    }
