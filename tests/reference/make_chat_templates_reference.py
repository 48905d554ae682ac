#!/usr/bin/env python3
"""Reference renderings of real chat templates by transformers' apply_chat_template (jinja2), for
tests/test_chat_template.cc (ChatTemplate.RealTemplatesRenderAsTransformersDoes).

Templates: every tests/fixtures/chat_templates/<family>/tokenizer_config.json (sources and licences in that
folder's README.md) plus the Qwen3 and Llama-3.1 files of tests/fixtures/tokenizer. Cases: 200 message lists
drawn with a fixed seed (system prompt or not, 1-4 turns, reasoning_content, tool calls and tool results,
tool definitions, non-ASCII text), each with add_generation_prompt on or off and, for some, enable_thinking,
and 10 edge cases (None values, reasoning under other names, empty and repeated roles, template syntax in content).
A template that refuses a case (raise_exception) records the error instead of a text.

Writes tests/fixtures/chat_templates/reference.json:
  {"cases": [{"messages", "tools"?, "add_generation_prompt", "enable_thinking"?}],
   "renderings": {family: [{"text"} | {"error"}] (one per case)}}
Run: .venv-ref/bin/python tests/reference/make_chat_templates_reference.py
"""
import datetime
import json
import os
import random

from transformers import AutoTokenizer
from transformers.utils import chat_template_utils

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures")
OUT = os.path.join(FIX, "chat_templates", "reference.json")
EXTRA = {"date_string": "26 Jul 2024"}  # Llama 3.x would print today's date otherwise
# Granite prints today's date through strftime_now: render at a fixed time, the one tests/test_chat_template.cc
# gives ascent through SOURCE_DATE_EPOCH (2026-11-30 12:00 UTC, the day reference.json was made).
EPOCH = 1796040000


class _FrozenDatetime(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime.datetime.fromtimestamp(EPOCH, datetime.timezone.utc)


chat_template_utils.datetime = _FrozenDatetime

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"},
                                                    "unit": {"type": "string", "enum": ["c", "f"]}},
                   "required": ["city"]}}},
    {"type": "function", "function": {
        "name": "calculator", "description": "Evaluate an arithmetic expression.",
        "parameters": {"type": "object", "properties": {"expr": {"type": "string"}}, "required": ["expr"]}}}]

TEXTS = ["What is 2+2?", "Solve x^2 - 5x + 6 = 0.", "  padded question  \n", "Écris une phrase. 🙂",
         "数学题：1/2 + 1/3 等于多少？", "Tell me a joke.", "def f(x):\n    return x * 2", "Thanks!",
         "What's the weather in Paris?", "Line one\nLine two\n\nLine four", "\u00a0\u3000Hi\u2003"]
ANSWERS = ["4", "x = 2 or x = 3.", "Sure: why did the chicken cross the road?", "Le ciel est bleu.",
           "5/6", "It doubles x.", "You're welcome.", "<think>\nsimple\n</think>\n\nThe answer is 4."]
SYSTEMS = ["You are a careful mathematician.", "Be brief.", "Réponds en français."]


def draw_case(rng):
    msgs = []
    if rng.random() < 0.5:
        msgs.append({"role": "system", "content": rng.choice(SYSTEMS)})
    tools = TOOLS if rng.random() < 0.25 else None
    for turn in range(rng.randint(1, 4)):
        msgs.append({"role": "user", "content": rng.choice(TEXTS)})
        last = turn == 0 or rng.random() < 0.7
        if rng.random() < 0.6 or not last:
            if tools and rng.random() < 0.5:
                city = rng.choice(["Paris", "Tokyo"])
                msgs.append({"role": "assistant", "content": "", "tool_calls": [
                    {"type": "function", "id": "call_1",
                     "function": {"name": "get_weather", "arguments": {"city": city}}}]})
                msgs.append({"role": "tool", "content": json.dumps({"city": city, "temp_c": 21}),
                             "tool_call_id": "call_1", "name": "get_weather"})
                msgs.append({"role": "assistant", "content": f"It is 21 C in {city}."})
            else:
                m = {"role": "assistant", "content": rng.choice(ANSWERS)}
                if rng.random() < 0.2:
                    m["reasoning_content"] = "Let me think.\nStep 1."
                msgs.append(m)
    case = {"messages": msgs, "add_generation_prompt": msgs[-1]["role"] != "assistant" or rng.random() < 0.3}
    if tools:
        case["tools"] = tools
    if rng.random() < 0.3:
        case["enable_thinking"] = rng.random() < 0.5
    return case


# What OpenAI-style clients send: None values (dropped by transformers before rendering) and reasoning under
# its other names (given to the template as thinking and reasoning_content too).
CALL = {"type": "function", "id": "call_9", "function": {"name": "calculator", "arguments": {"expr": "6*7"}}}
EDGE_CASES = [
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "tool_calls": None},
                  {"role": "user", "content": "Bye"}], "add_generation_prompt": True},
    {"messages": [{"role": "user", "content": "6*7?"}, {"role": "assistant", "content": None, "tool_calls": [CALL]},
                  {"role": "tool", "content": "42", "tool_call_id": "call_9", "name": "calculator"}],
     "add_generation_prompt": True, "tools": TOOLS},
    {"messages": [{"role": "system", "content": None}, {"role": "user", "content": "Q"}], "add_generation_prompt": True},
    {"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A", "thinking": "hmm"}],
     "add_generation_prompt": False},
    {"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A", "reasoning": "r1"},
                  {"role": "user", "content": "Q2"}], "add_generation_prompt": True},
    {"messages": [{"role": "user", "content": "Q", "name": None}], "add_generation_prompt": True,
     "enable_thinking": False},
    {"messages": [{"role": "user", "content": ""}], "add_generation_prompt": True},
    {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}], "add_generation_prompt": True},
    {"messages": [{"role": "assistant", "content": "I start."}, {"role": "user", "content": "ok"}],
     "add_generation_prompt": True},
    {"messages": [{"role": "user", "content": "{{ not a template }} {% raw %}"}], "add_generation_prompt": True},
]


def main():
    rng = random.Random(20261130)
    cases = [draw_case(rng) for _ in range(200)] + EDGE_CASES
    dirs = {f: os.path.join(FIX, "chat_templates", f) for f in sorted(os.listdir(os.path.join(FIX, "chat_templates")))
            if os.path.isdir(os.path.join(FIX, "chat_templates", f))}
    dirs["qwen3"] = os.path.join(FIX, "tokenizer", "qwen3")
    dirs["llama3_1"] = os.path.join(FIX, "tokenizer", "llama3_1")
    base = AutoTokenizer.from_pretrained(os.path.join(FIX, "tokenizer", "qwen3"))
    renderings = {}
    for fam, d in sorted(dirs.items()):
        cfg = json.load(open(os.path.join(d, "tokenizer_config.json"), encoding="utf-8"))
        names = ("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token")
        tokens = {k: (cfg[k] if isinstance(cfg[k], str) else cfg[k]["content"]) for k in names
                  if isinstance(cfg.get(k), str) or (isinstance(cfg.get(k), dict) and "content" in cfg[k])}
        out = []
        for c in cases:
            kw = dict(EXTRA, **tokens)
            if "enable_thinking" in c:
                kw["enable_thinking"] = c["enable_thinking"]
            try:
                text = base.apply_chat_template(c["messages"], tools=c.get("tools"), chat_template=cfg["chat_template"],
                                                tokenize=False, add_generation_prompt=c["add_generation_prompt"], **kw)
                out.append({"text": text})
            except Exception as e:  # the template refused the case
                out.append({"error": str(e)})
        renderings[fam] = out
        print(f"{fam}: {sum('text' in r for r in out)} rendered, {sum('error' in r for r in out)} refused")
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"extra": EXTRA, "cases": cases, "renderings": renderings}, f, ensure_ascii=False)
    print(f"{len(cases)} cases x {len(renderings)} templates -> {OUT}")


if __name__ == "__main__":
    main()
