#!/usr/bin/env python3
"""Reference token ids from Hugging Face `tokenizers` (PyPI, the reference implementation) for the tokenizer
tests: a varied corpus (code, LaTeX maths, Chinese, Japanese, Korean, Arabic, Hindi, emoji, combining accents,
whitespace runs, CRLF, long digit runs, contractions, special tokens inside text) encoded with
add_special_tokens=False by the Qwen3 and Llama-3.1 tokenizer.json files of tests/fixtures/tokenizer.
Writes tests/fixtures/tokenizer/corpus.jsonl: {"text", "qwen3": [...], "llama3_1": [...]} per line.
Run: .venv-ref/bin/python tests/reference/make_tokenizer_reference.py [SHARED_TOKENIZERS_DIR]
"""
import json
import os
import sys

from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "tokenizer", "corpus.jsonl")

CORPUS = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure they'll say it's fine, but we'd rather DON'T and WE'RE NOT.",
    "def add(a, b):\n    return a + b\n\n\nif __name__ == '__main__':\n\tprint(add(1, 2))\n",
    "for (int i = 0; i < n; ++i) { sum += x[i] * y[i]; }  // dot product",
    "We have $\\frac{1}{2} + \\frac{1}{4} = \\boxed{\\frac{3}{4}}$ and $\\sqrt{8} = 2\\sqrt{2}$.",
    "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}, \\int_0^\\infty e^{-x^2} dx = \\frac{\\sqrt{\\pi}}{2}",
    "1234567890 and 3.14159265358979 and 1,000,000 and -42 and 007",
    "今天天气很好，我们去公园散步吧。机器学习是人工智能的一个分支。",
    "日本語のテキストです。カタカナとひらがな、漢字が混ざっています。",
    "한국어 문장도 포함합니다. 안녕하세요!",
    "مرحبا بالعالم، هذا نص عربي.",
    "यह हिंदी में एक वाक्य है।",
    "Emoji: 😀🎉👍🏽 👨‍👩‍👧‍👦 ❤️ 🇫🇷 and text",
    "Cafe\u0301 vs Café: combining accent and precomposed; Ångström, naïve, façade.",
    "   leading spaces, trailing spaces   ",
    "tabs\tand\t\tmore\ttabs\n\nnewlines\r\nwindows line\r\n\r\nend",
    "multiple     spaces      between        words",
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>",
    "Text with <|endoftext|> in the middle and <think>reasoning</think> tags.",
    "URLs like https://example.com/path?query=1&x=y#frag and emails a.b@c.de",
    "Mixed 中文 and English 混合 text with numbers 12345 and symbols @#$%^&*()",
    "\n",
    " ",
    "",
    "a",
    "ü",
    "    indented\n        more indented\n",
    "!!!???...,,,;;;:::---___===+++",
    "'s 't 're 've 'm 'll 'd 'S 'T 'RE",
    "x" * 300,
    "The answer is 42.\n\nTherefore, the final answer is $\\boxed{42}$.",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３ and ligature ﬁ and ℌ and ①②③",
    "Zero\u200bwidth\u200cjoiner\u200dtest and soft\u00adhyphen",
]


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "fixtures", "tokenizer")
    toks = {name: Tokenizer.from_file(os.path.join(shared, name, "tokenizer.json")) for name in ("qwen3", "llama3_1")}
    with open(OUT, "w") as f:
        for text in CORPUS:
            row = {"text": text}
            for name, tok in toks.items():
                ids = tok.encode(text, add_special_tokens=False).ids
                assert tok.decode(ids, skip_special_tokens=False) == text or name == "qwen3", (name, text)
                row[name] = ids
                row[name + "_decoded"] = tok.decode(ids, skip_special_tokens=False)
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(CORPUS)} texts -> {OUT}")


if __name__ == "__main__":
    main()
