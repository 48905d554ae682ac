#!/usr/bin/env python3
"""Reference chat-template renderings from transformers' apply_chat_template (jinja2) with the Qwen3 and
Llama-3.1 tokenizer_config.json templates of tests/fixtures/tokenizer, for tests/test_chat_template.cc.
Writes tests/fixtures/chat/reference.jsonl: {"family", "messages", "add_generation_prompt",
"enable_thinking"?, "text"} per case.
Run: .venv-ref/bin/python tests/reference/make_chat_reference.py [SHARED_TOKENIZERS_DIR]
"""
import json
import os
import sys

from transformers import AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "chat", "reference.jsonl")

CONVERSATIONS = [
    [{"role": "user", "content": "What is 2+2?"}],
    [{"role": "system", "content": "You are a careful mathematician."}, {"role": "user", "content": "Solve x+1=4."}],
    [{"role": "user", "content": "  padded question  \n"}],
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
     {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "What is 3*3?"}],
    [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "<think>\nfirst thoughts\n</think>\n\nA1"},
     {"role": "user", "content": "Q2"}],
    [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "<think>\nreasoning here\n</think>\n\nfinal"}],
    [{"role": "user", "content": "Q"},
     {"role": "assistant", "content": "answer", "reasoning_content": "\nexplicit reasoning\n"}],
    [{"role": "user", "content": "use the tool"}, {"role": "assistant", "content": "calling"},
     {"role": "tool", "content": "{\"result\": 42}"}, {"role": "tool", "content": "second"},
     {"role": "user", "content": "thanks"}],
    [{"role": "system", "content": "S1"}, {"role": "user", "content": "U"}, {"role": "system", "content": "S2"}],
    [{"role": "user", "content": "数学题：$\\frac{1}{2}+\\frac{1}{3}$ 等于多少？ 😀"}],
]


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "fixtures", "tokenizer")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    n = 0
    with open(OUT, "w") as f:
        for family in ("qwen3", "llama3_1"):
            tok = AutoTokenizer.from_pretrained(os.path.join(shared, family))
            for msgs in CONVERSATIONS:
                for gen in (True, False):
                    for think in ((None, False) if family == "qwen3" and gen else (None,)):
                        kw = {} if think is None else {"enable_thinking": think}
                        text = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=gen, **kw)
                        row = {"family": family, "messages": msgs, "add_generation_prompt": gen, "text": text}
                        if think is not None:
                            row["enable_thinking"] = think
                        f.write(json.dumps(row, ensure_ascii=False) + "\n")
                        n += 1
    print(f"{n} renderings -> {OUT}")


if __name__ == "__main__":
    main()
