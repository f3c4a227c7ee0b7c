"""The LLM runner's C++ tokenizers (ember._C.llm) against HF `tokenizers` and
`tiktoken`, on tokenizers trained here (nothing is downloaded): the same ids
on a mixed corpus, decoding that round-trips, streaming that joins pieces into
valid text, and clear errors for bad files."""

from __future__ import annotations

import base64
import json
import unicodedata
from pathlib import Path

import pytest

from ember.errors import EmberRuntimeError

tokenizers = pytest.importorskip("tokenizers")
llm = pytest.importorskip("ember._C").llm

GPT2_PATTERN = (r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = LLAMA3_PATTERN.replace(r"\p{N}{1,3}", r"\p{N}")
SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|endoftext|>"]

# Several scripts, whitespace runs, tabs and newlines, emoji (with joiners and
# skin tones), digits, punctuation, contractions, special tokens inside text.
SAMPLES = [
    "",
    " ",
    "\n",
    "Hello, world!",
    "  leading and trailing  ",
    "tabs\tand\nnewlines\r\n\n\nand more\t\t\tx",
    "multiple     spaces    here ",
    "Ünïcödé façade naïve coöperate",
    "Привет, мир! Как дела? Ёжик в тумане.",
    "Γειά σου Κόσμε, καλημέρα",
    "日本語のテキストと中文的文本，还有한국어 문장.",
    "مرحبا بالعالم، كيف حالك؟",
    "हिन्दी पाठ और संख्याएँ १२३",
    "emoji 😀🎉👍🏽 family 👨‍👩‍👧 flags 🇫🇷🇯🇵",
    "numbers 1234567890 3.14159 1,000,000 -42 0x1F",
    "punctuation!?... ---- ((()))[]{} @#$%^&*_+=|\\/<>~`",
    "<|begin_of_text|>special inside<|end_of_text|> text<|eot_id|>",
    "a<|endoftext|>b <|endoftext|> c<|begin_of_text|><|begin_of_text|>",
    "don't I'll we've they're HE'S She'D",
    "code: def f(x):\n    return x**2  # comment\n\n\tif y: pass\n",
    "trailing space ",
    "mixed Ελληνικά and English and Русский 123 😀 end",
    "\u00a0non-breaking\u2003em-space\u3000ideographic",
    "combining e\u0301 a\u0308 and zero\u200bwidth",
    "NFC: \u212b \u2126 A\u030a \u1100\u1161\u11a8 \u0b47\u0b3e q\u0307\u0323 \u0344",
]


def _training_text() -> list[str]:
    words = ("the quick brown fox jumps over the lazy dog while tokenizers learn merges "
             "from bytes and characters in many scripts").split()
    lines = [" ".join(words[i:] + words[:i]) for i in range(len(words))]
    return (lines + SAMPLES) * 20


def _train(tmp_path: Path, name: str, pre_tokenizer, *, vocab_size: int = 800,
           ignore_merges: bool = False, bos_template: bool = False,
           normalizer=None) -> tuple[Path, object]:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(_training_text(), trainer=trainer)
    if bos_template:
        bos = tok.token_to_id("<|begin_of_text|>")
        tok.post_processor = processors.TemplateProcessing(
            single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A $B",
            special_tokens=[("<|begin_of_text|>", bos)])
    path = tmp_path / f"{name}.json"
    tok.save(str(path))
    return path, tok


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory):
    from tokenizers import pre_tokenizers
    return _train(tmp_path_factory.mktemp("gpt2"), "gpt2",
                  pre_tokenizers.ByteLevel(add_prefix_space=False))


@pytest.fixture(scope="module")
def gpt2_prefix(tmp_path_factory):
    from tokenizers import pre_tokenizers
    return _train(tmp_path_factory.mktemp("gpt2p"), "gpt2p",
                  pre_tokenizers.ByteLevel(add_prefix_space=True), vocab_size=500)


@pytest.fixture(scope="module")
def llama3(tmp_path_factory):
    from tokenizers import Regex, pre_tokenizers
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    return _train(tmp_path_factory.mktemp("llama3"), "llama3", pre, vocab_size=2000,
                  ignore_merges=True, bos_template=True)


@pytest.fixture(scope="module")
def qwen(tmp_path_factory):
    """Qwen2/3's layout: an NFC normalizer, single digits."""
    from tokenizers import Regex, normalizers, pre_tokenizers
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    return _train(tmp_path_factory.mktemp("qwen"), "qwen", pre, vocab_size=1500,
                  normalizer=normalizers.NFC())


def _hf_ids(tok, text: str, special: bool = False) -> list[int]:
    return tok.encode(text, add_special_tokens=special).ids


@pytest.mark.parametrize("which", ["gpt2", "gpt2_prefix", "llama3", "qwen"])
def test_ids_equal_hf(which, request):
    path, hf = request.getfixturevalue(which)
    tok = llm.Tokenizer.load(str(path))
    assert tok.format == "tokenizer.json"
    assert tok.vocab_size == hf.get_vocab_size(with_added_tokens=True)
    corpus = SAMPLES + ["".join(SAMPLES), " ".join(SAMPLES) * 3]
    for text in corpus:
        assert tok.encode(text) == _hf_ids(hf, text), repr(text)


@pytest.mark.parametrize("which", ["gpt2", "gpt2_prefix", "llama3", "qwen"])
def test_decode_round_trips(which, request):
    path, hf = request.getfixturevalue(which)
    tok = llm.Tokenizer.load(str(path))
    for text in SAMPLES:
        ids = tok.encode(text)
        want = hf.decode(ids, skip_special_tokens=False)
        assert tok.decode(ids) == want, repr(text)
        if which != "gpt2_prefix":  # the prefix space is added by design
            # Qwen's NFC normalizer composes what the text wrote decomposed.
            assert tok.decode(ids) == (unicodedata.normalize("NFC", text) if which == "qwen"
                                       else text)
        assert tok.decode(ids, skip_special=True) == hf.decode(ids, skip_special_tokens=True)


def test_streaming_joins_pieces_into_valid_text(llama3):
    path, _ = llama3
    tok = llm.Tokenizer.load(str(path))
    text = "emoji 😀🎉👍🏽 日本語 Привет ✓"
    ids = tok.encode(text)
    pieces = [tok.decode_piece(i) for i in ids]
    # The small vocabulary splits multi-byte characters across tokens.
    assert any(p.decode("utf-8", errors="ignore").encode() != p for p in pieces)
    stream = llm.TextStream()
    out = []
    for p in pieces:
        chunk = stream.push(p)
        chunk.encode("utf-8")  # always valid text
        out.append(chunk)
    out.append(stream.finish())
    assert "".join(out) == text
    # A stream cut inside a character ends with U+FFFD; stray bytes become U+FFFD.
    stream = llm.TextStream()
    assert stream.push("é".encode()[:1]) == ""
    assert stream.finish() == "\ufffd"
    assert llm.TextStream().push(b"a\xffb") == "a\ufffdb"


def test_bos_eos_and_template(llama3):
    path, hf = llama3
    tok = llm.Tokenizer.load(str(path))
    bos, eos = hf.token_to_id("<|begin_of_text|>"), hf.token_to_id("<|end_of_text|>")
    assert (tok.bos_id, tok.eos_id) == (bos, eos)
    for text in SAMPLES:
        assert tok.encode(text, bos=True) == _hf_ids(hf, text, special=True)
    assert tok.encode("hi", bos=True, eos=True) == [bos, *_hf_ids(hf, "hi"), eos]
    assert tok.is_special(bos) and not tok.is_special(tok.encode("hi")[0])
    other = llm.Tokenizer.load(str(path), bos_id=eos, eos_id=bos)
    assert (other.bos_id, other.eos_id) == (eos, bos)


def test_legacy_string_merges(llama3, tmp_path):
    """Older files write merges as "left right" strings."""
    path, hf = llama3
    doc = json.loads(path.read_text())
    doc["model"]["merges"] = [" ".join(m) for m in doc["model"]["merges"]]
    legacy = tmp_path / "legacy.json"
    legacy.write_text(json.dumps(doc, ensure_ascii=False))
    tok = llm.Tokenizer.load(str(legacy))
    for text in SAMPLES:
        assert tok.encode(text) == _hf_ids(hf, text), repr(text)


def _byte_decoder() -> dict[str, int]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs, strict=True)}


def _write_tiktoken(hf, path: Path) -> dict[bytes, int]:
    """The trained model vocabulary as a tiktoken file (rank = id)."""
    dec = _byte_decoder()
    specials = set(SPECIALS)
    ranks = {bytes(dec[c] for c in t): i for t, i in hf.get_vocab(with_added_tokens=False).items()
             if t not in specials}
    path.write_text("".join(f"{base64.b64encode(b).decode()} {r}\n"
                            for b, r in sorted(ranks.items(), key=lambda kv: kv[1])))
    return ranks


def test_tiktoken_equals_tiktoken_package(llama3, tmp_path):
    tiktoken = pytest.importorskip("tiktoken")
    _, hf = llama3
    path = tmp_path / "tok.model"
    ranks = _write_tiktoken(hf, path)
    n = max(ranks.values()) + 1
    specials = {s: n + i for i, s in enumerate(SPECIALS)}
    enc = tiktoken.Encoding("trained", pat_str=LLAMA3_PATTERN, mergeable_ranks=ranks,
                            special_tokens=specials)
    tok = llm.Tokenizer.load(str(path), pattern=LLAMA3_PATTERN, special_tokens=specials)
    assert tok.format == "tiktoken" and tok.vocab_size == n + len(SPECIALS)
    for text in SAMPLES + ["".join(SAMPLES)]:
        ids = tok.encode(text)
        assert ids == enc.encode(text, allowed_special="all"), repr(text)
        assert tok.decode(ids) == text
    # The GPT-2 pattern given by the caller.
    enc2 = tiktoken.Encoding("gpt2ish", pat_str=GPT2_PATTERN, mergeable_ranks=ranks,
                             special_tokens=specials)
    tok2 = llm.Tokenizer.load(str(path), pattern=GPT2_PATTERN, special_tokens=specials)
    for text in SAMPLES:
        assert tok2.encode(text) == enc2.encode(text, allowed_special="all"), repr(text)


def test_tiktoken_defaults_to_llama3(llama3, tmp_path):
    _, hf = llama3
    path = tmp_path / "tok.model"
    ranks = _write_tiktoken(hf, path)
    n = max(ranks.values()) + 1
    tok = llm.Tokenizer.load(str(path))
    assert tok.vocab_size == n + 256
    assert (tok.bos_id, tok.eos_id) == (n, n + 1)
    assert tok.encode("<|begin_of_text|>hi<|eot_id|>", bos=False)[0] == n
    assert tok.encode("x<|eot_id|>")[-1] == n + 9
    assert tok.decode([n + 11, n + 255]) == "<|image|><|reserved_special_token_245|>"


def _error(call) -> EmberRuntimeError:
    with pytest.raises(EmberRuntimeError) as info:
        call()
    return info.value


def test_bad_files_give_clear_errors(llama3, tmp_path):
    path, _ = llama3
    e = _error(lambda: llm.Tokenizer.load(str(tmp_path / "missing.json")))
    assert e.code == "NotFound" and "missing.json" in e.message

    empty = tmp_path / "empty.json"
    empty.write_text("")
    assert "empty" in _error(lambda: llm.Tokenizer.load(str(empty))).message

    text = path.read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) // 2])
    e = _error(lambda: llm.Tokenizer.load(str(cut)))
    assert e.code == "InvalidArgument" and "not valid JSON" in e.message and "line" in e.message

    def variant(name: str, edit) -> Path:
        doc = json.loads(text)
        edit(doc)
        p = tmp_path / f"{name}.json"
        p.write_text(json.dumps(doc))
        return p

    p = variant("unigram", lambda d: d["model"].update(type="Unigram"))
    e = _error(lambda: llm.Tokenizer.load(str(p)))
    assert e.code == "NotSupported" and "Unigram" in e.message

    p = variant("nfkc", lambda d: d.update(normalizer={"type": "NFKC"}))
    e = _error(lambda: llm.Tokenizer.load(str(p)))
    assert e.code == "NotSupported" and "'NFKC'" in e.message

    p = variant("digits", lambda d: d.update(pre_tokenizer={"type": "Digits"}))
    assert "'Digits'" in _error(lambda: llm.Tokenizer.load(str(p))).message

    p = variant("badmerge", lambda d: d["model"]["merges"].insert(0, ["nope", "zzz"]))
    e = _error(lambda: llm.Tokenizer.load(str(p)))
    assert e.code == "InvalidArgument" and "merge #0" in e.message

    p = variant("badregex", lambda d: d["pre_tokenizer"]["pretokenizers"][0].update(
        pattern={"Regex": "(unclosed"}))
    assert "regex" in _error(lambda: llm.Tokenizer.load(str(p))).message

    bad = tmp_path / "bad.tiktoken"
    bad.write_text("QQ== 0\n!!!! 1\n")
    e = _error(lambda: llm.Tokenizer.load(str(bad)))
    assert e.code == "InvalidArgument" and "line 2" in e.message

    tok = llm.Tokenizer.load(str(path))
    e = _error(lambda: tok.decode([tok.vocab_size]))
    assert "not in the vocabulary" in e.message


def test_no_bos_is_an_error(gpt2, tmp_path):
    path, _ = gpt2
    doc = json.loads(path.read_text())
    doc["added_tokens"] = []
    p = tmp_path / "nospecial.json"
    p.write_text(json.dumps(doc))
    tok = llm.Tokenizer.load(str(p))
    assert tok.bos_id == -1
    assert _error(lambda: tok.encode("x", bos=True)).code == "InvalidState"



# Characters for seeded random strings: every class the pre-tokenizers and
# normalizers treat differently, special tokens and U+2581 written as text.
RANDOM_ALPHABET = (list("abcxyz ABC  \t\n\r'0123456789.,!?-_/") +
                   ["\u0085", "\u2028", "\x0b", "\x0c", "\u00a0", "\u3000", "é", "ß", "Ж", "ж",
                    "λ", "日", "本", "😀", "👍🏽", "\u200d", "\u0301", "'s", "'LL", "Ⅻ", "²",
                    "\ufeff", "ǅ", "<|eot_id|>", "<|endoftext|>", "<|eot|>", "<s>", "▁"])


def _random_texts(seed: int, n: int = 300) -> list[str]:
    import random
    rng = random.Random(seed)
    return ["".join(rng.choice(RANDOM_ALPHABET) for _ in range(rng.randint(0, 40)))
            for _ in range(n)]


@pytest.mark.parametrize("which", ["gpt2", "gpt2_prefix", "llama3", "qwen"])
def test_random_texts_equal_hf(which, request):
    path, hf = request.getfixturevalue(which)
    tok = llm.Tokenizer.load(str(path))
    for text in _random_texts(1):
        ids = tok.encode(text)
        assert ids == _hf_ids(hf, text), repr(text)
        assert tok.decode(ids) == hf.decode(ids, skip_special_tokens=False), repr(text)


def _train_hf_sentencepiece_style(tmp_path: Path, metaspace: bool) -> tuple[Path, object]:
    """Llama 2's HF layout (Prepend + Replace normalizers, Replace/ByteFallback/
    Fuse/Strip decoder) or a Metaspace pre-tokenizer and decoder; BPE with byte
    fallback over <0xXX> tokens and a fused <unk>."""
    from tokenizers import (AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers,
                            trainers)

    tok = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>", fuse_unk=True))
    if metaspace:
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first",
                                                     split=False)
        tok.decoder = decoders.Sequence([
            decoders.Metaspace(replacement="▁", prepend_scheme="first", split=False),
            decoders.ByteFallback(), decoders.Fuse()])
    else:
        tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"),
                                               normalizers.Replace(" ", "▁")])
        tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(),
                                         decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    specials = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    # limit_alphabet leaves rare characters out: they go through byte fallback.
    trainer = trainers.BpeTrainer(vocab_size=900, special_tokens=specials, limit_alphabet=120,
                                  show_progress=False)
    tok.train_from_iterator(_training_text(), trainer=trainer)
    tok.add_special_tokens([AddedToken("<|eot|>", special=True, normalized=False)])
    # A normalized added token is looked for as its normalized content ("▁new▁token").
    tok.add_tokens([AddedToken("new token", normalized=True)])
    path = tmp_path / "sp_style.json"
    tok.save(str(path))
    return path, tok


@pytest.mark.parametrize("metaspace", [False, True], ids=["replace", "metaspace"])
def test_hf_sentencepiece_style_equals_hf(metaspace, tmp_path):
    path, hf = _train_hf_sentencepiece_style(tmp_path, metaspace)
    tok = llm.Tokenizer.load(str(path))
    assert (tok.bos_id, tok.eos_id) == (hf.token_to_id("<s>"), hf.token_to_id("</s>"))
    for text in SAMPLES + _random_texts(2) + ["a new token here", "new token", "new  token"]:
        ids = tok.encode(text)
        assert ids == _hf_ids(hf, text), repr(text)
        assert tok.decode(ids) == hf.decode(ids, skip_special_tokens=False), repr(text)
        assert tok.decode(ids, skip_special=True) == hf.decode(ids, skip_special_tokens=True)


def _train_sentencepiece(path: Path, **overrides):
    import io

    spm = pytest.importorskip("sentencepiece")
    args = dict(model_type="bpe", vocab_size=700, normalization_rule_name="identity",
                byte_fallback=True, character_coverage=0.98, user_defined_symbols=["<|eot|>"],
                add_dummy_prefix=True, remove_extra_whitespaces=False, minloglevel=2)
    args.update(overrides)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(_training_text()), model_writer=model,
                                   **args)
    path.write_bytes(model.getvalue())
    return spm.SentencePieceProcessor(model_file=str(path))


SENTENCEPIECE_STYLES = {
    "llama2": {},  # byte fallback, dummy prefix, spaces kept
    "gemma": {"add_dummy_prefix": False},
    "extra_spaces_removed": {"remove_extra_whitespaces": True},
    "unk_no_byte_fallback": {"byte_fallback": False, "vocab_size": 400},
}


@pytest.mark.parametrize("style", SENTENCEPIECE_STYLES)
def test_sentencepiece_model_equals_sentencepiece(style, tmp_path):
    path = tmp_path / f"{style}.model"
    sp = _train_sentencepiece(path, **SENTENCEPIECE_STYLES[style])
    tok = llm.Tokenizer.load(str(path))
    assert tok.format == "sentencepiece" and tok.vocab_size == sp.get_piece_size()
    assert (tok.bos_id, tok.eos_id) == (sp.bos_id(), sp.eos_id())
    for text in SAMPLES + _random_texts(3):
        ids = tok.encode(text)
        assert ids == sp.encode(text), repr(text)
        assert tok.decode(ids) == sp.decode(ids), repr(text)
    ids = tok.encode("hello", bos=True, eos=True)
    assert ids == [sp.bos_id(), *sp.encode("hello"), sp.eos_id()]
    assert tok.decode(ids) == "hello"  # control tokens decode to nothing
    assert tok.is_special(sp.bos_id())


def test_bad_sentencepiece_models(tmp_path):
    path = tmp_path / "nfkc.model"
    _train_sentencepiece(path, normalization_rule_name="nmt_nfkc")
    e = _error(lambda: llm.Tokenizer.load(str(path)))
    assert e.code == "NotSupported" and "'nmt_nfkc'" in e.message

    path = tmp_path / "unigram.model"
    _train_sentencepiece(path, model_type="unigram", vocab_size=400)
    e = _error(lambda: llm.Tokenizer.load(str(path)))
    assert e.code == "NotSupported" and "UNIGRAM" in e.message

    good = tmp_path / "good.model"
    _train_sentencepiece(good)
    data = good.read_bytes()
    for cut in (len(data) // 3, len(data) // 2, len(data) - 5):
        (tmp_path / "cut.model").write_bytes(data[:cut])
        e = _error(lambda: llm.Tokenizer.load(str(tmp_path / "cut.model")))
        assert e.code == "InvalidArgument" and "SentencePiece" in e.message
