"""Tokenizers checked against independent references.

The references: a naive BPE trainer written here that recounts every pair after every merge
(the incremental trainer must learn the same merges), Hugging Face ``tokenizers``' BPE model
built from our vocabulary and merges behind its ByteLevel pre-tokenizer (same ids on every
string), its WordPiece model (same pieces), and brute-force enumeration of every segmentation
for Unigram. Each ``check_*`` takes the implementation under test, so it can grade a learner's.
"""

from __future__ import annotations

import inspect
import itertools
import math
import re
from collections import Counter

import numpy as np
import pytest
from support import bank_tolerance, check_numeric_keys
from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers

from concepts import _bpe_training
from concepts.exercises._harness import run_checks
from concepts.exercises.tokenization import CHECKS
from concepts.tokenization import (
    GPT2_PATTERN,
    SAMPLE_TEXT,
    bytes_to_unicode,
    decode,
    encode,
    merge_pair,
    pretokenize,
    train_bpe,
    train_merges,
    unigram_loss,
    unigram_segment,
    wordpiece_encode,
)

EOT = "<|endoftext|>"
EDGE_CASES = [
    "",
    "a",
    " ",
    "é",
    "🙂",
    "👩‍👩‍👧 family",  # emoji joined by zero-width joiners
    "e\u0301 n\u0303 a\u0308\u0304",  # combining marks
    "naïve café, déjà vu",
    "你好，世界。分词很重要",
    "こんにちは 世界",
    "안녕하세요",
    "مرحبا بالعالم",
    "Привет, мир!",
    " " * 40,
    "a" + " " * 17 + "b\n\n\n\tc\r\n",
    "tabs\t\tand\u00a0no-break\u2003spaces",
    "don't I'll we've THEY'RE",
    "x = f(y_1) ** 2  # 100% __init__",
    "1234567890 3.14159 -42",
    "\x00\x01\x7f",
    "".join(c for c in map(chr, range(161, 256)) if not c.isnumeric()),
    f"before{EOT}after {EOT}{EOT}",
    SAMPLE_TEXT * 4,
]
NUMERIC_ODDITIES = ["x² ½ ¹º", "Ⅻ ⅷ", "٣٤ ४२"]  # split differently from GPT-2's \p{N} (see below)
CORPORA = [
    "aaabdaaabac",
    SAMPLE_TEXT,
    "low low low low lower lower newest newest newest widest widest",
    "naïve café 你好你好 🙂🙂🙂 déjà déjà  vu\n\n  indent  indent",
]


def random_corpus(seed: int, alphabet: str = "abcd ", n: int = 400) -> str:
    rng = np.random.default_rng(seed)
    return "".join(rng.choice(list(alphabet), size=n))


# ---------------------------------------------------------------- naive BPE trainer


def naive_train_bpe(text: str, num_merges: int, special_tokens=()):
    """The baseline: every chunk occurrence kept separately, all pairs recounted each merge.

    Returns the merges as ``[((a, b), new_id), ...]`` and, per merge, how many distinct
    chunks contained the pair (the work an incremental trainer may do for that merge).
    """
    parts = [text]
    for s in special_tokens:
        parts = [p for part in parts for p in part.split(s)]
    words = [list(c.encode("utf-8")) for part in parts for c in re.findall(GPT2_PATTERN, part)]
    vocab = {i: bytes([i]) for i in range(256)}
    merges, touched = [], []
    for _ in range(num_merges):
        counts = Counter(p for w in words for p in itertools.pairwise(w))
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))  # highest count, then smallest ids
        new_bytes = vocab[pair[0]] + vocab[pair[1]]
        new_id = next((i for i, b in vocab.items() if b == new_bytes), len(vocab))
        vocab[new_id] = new_bytes
        merges.append((pair, new_id))
        touched.append(len({tuple(w) for w in words if pair in set(itertools.pairwise(w))}))
        for w in words:
            i = 0
            while i < len(w) - 1:
                if (w[i], w[i + 1]) == pair:
                    w[i : i + 2] = [new_id]
                i += 1
    return merges, touched


def naive_train_bpe_first_occurrence(text: str, num_merges: int):
    """minbpe's rule: a dict of counts filled in text order, ``max(stats, key=stats.get)``
    (the first pair to reach the top count in insertion order, i.e. the earliest in the text)."""
    words = [list(c.encode("utf-8")) for c in re.findall(GPT2_PATTERN, text)]
    vocab = {i: bytes([i]) for i in range(256)}
    merges = []
    for _ in range(num_merges):
        stats: dict = {}
        for w in words:
            for p in itertools.pairwise(w):
                stats[p] = stats.get(p, 0) + 1
        if not stats:
            break
        pair = max(stats, key=stats.get)
        new_bytes = vocab[pair[0]] + vocab[pair[1]]
        new_id = next((i for i, b in vocab.items() if b == new_bytes), len(vocab))
        vocab[new_id] = new_bytes
        merges.append((pair, new_id))
        for w in words:
            i = 0
            while i < len(w) - 1:
                if (w[i], w[i + 1]) == pair:
                    w[i : i + 2] = [new_id]
                i += 1
    return merges


def check_against_naive(train_fn) -> None:
    """The learned merges (pairs, new ids, order) equal the naive trainer's."""
    cases = [(c, k) for c in CORPORA for k in (0, 1, 10, 60)]
    cases += [(random_corpus(seed), 40) for seed in range(4)]
    cases += [(random_corpus(9, "ab\n", 300), 80), ("ab", 5), ("a", 3), ("", 2)]
    for text, k in cases:
        want, _ = naive_train_bpe(text, k)
        got = train_fn(text, k)
        assert [(tuple(p), i) for p, i in got.merges] == want, (text[:30], k)


def test_incremental_trainer_equals_naive_trainer():
    check_against_naive(train_bpe)


def test_first_occurrence_ties_equal_a_minbpe_style_trainer():
    cases = [(c, k) for c in CORPORA for k in (0, 1, 10, 60)]
    cases += [(random_corpus(seed), 40) for seed in range(6)]
    cases += [(random_corpus(9, "ab\n", 300), 80), (random_corpus(2, "aab b", 500), 60), ("ab", 5), ("", 2)]
    for text, k in cases:
        got = train_bpe(text, k, tie_break="first-occurrence")
        assert got.merges == naive_train_bpe_first_occurrence(text, k), (text[:30], k)


def test_tie_rules_disagree_on_real_text():
    """Both rules are correct BPE; they part ways at the first tie for the top count whose
    smallest pair is not the earliest one, and every later merge can differ after that."""
    smallest = train_bpe(SAMPLE_TEXT, 150).merges
    first = train_bpe(SAMPLE_TEXT, 150, tie_break="first-occurrence").merges
    split = next(r for r, (a, b) in enumerate(zip(smallest, first, strict=True)) if a != b)
    assert 0 < split < 150
    assert train_bpe("aaabdaaabac", 3, tie_break="first-occurrence").merges == [
        ((97, 97), 256),
        ((256, 97), 257),  # (aa, a) occurs at 0, before (a, b) at 1; both have count 2
        ((257, 98), 258),
    ]


@pytest.mark.parametrize("text", [SAMPLE_TEXT, random_corpus(3, "abcde fg\n", 2000)], ids=["sample", "random"])
def test_incremental_trainer_touches_only_affected_words(monkeypatch, text):
    """One full count at the start; afterwards each merge rewrites the distinct chunks that
    contain the merged pair, plus a few stale ones that held it once (the index is never
    pruned), which is far less than recounting the corpus each time."""
    calls = Counter()
    count_pairs, merge_counting = _bpe_training._count_pairs, _bpe_training._merge_counting

    def counting_count(*args):
        calls["count"] += 1
        return count_pairs(*args)

    def counting_merge(*args):
        calls["merge"] += 1
        return merge_counting(*args)

    monkeypatch.setattr(_bpe_training, "_count_pairs", counting_count)
    monkeypatch.setattr(_bpe_training, "_merge_counting", counting_merge)
    tok = train_bpe(text, 100)
    merges, touched = naive_train_bpe(text, 100)
    assert tok.merges == merges
    assert calls["count"] == 1
    assert sum(touched) <= calls["merge"] <= 2 * sum(touched)
    n_chunks = len(set(pretokenize(text)))
    assert calls["merge"] < 0.5 * len(merges) * n_chunks


def test_each_changed_pair_is_queued_once_per_merge(monkeypatch):
    """The heap gets at most one push per pair whose count changed in a merge, so stale
    entries stay few (the first version pushed once per chunk and pair: 100,502 of 102,502
    pops were stale at 1 MB)."""
    pushes = Counter()
    push = _bpe_training.heapq.heappush

    def counting_push(heap, item):
        pushes[item[1]] += 1
        return push(heap, item)

    monkeypatch.setattr(_bpe_training.heapq, "heappush", counting_push)
    k = 60
    train_bpe(SAMPLE_TEXT * 3, k)
    assert max(pushes.values()) <= k


def test_bpe_hand_example():
    """Corpus "aaabdaaabac" is one chunk: bytes a=97, b=98, c=99, d=100.

    Merge 1: pair counts aa 4 (overlaps count), ab 2, bd 1, da 1, ba 1, ac 1, so (97, 97) -> 256:
        a a a b d a a a b a c  ->  aa a b d aa a b a c.
    Merge 2: (256, 97) and (97, 98) both have count 2; the smaller pair (97, 98) wins -> 257:
        aa ab d aa ab a c.
    Merge 3: (256, 257) has count 2, every other pair 1 -> 258 = aa + ab:  aaab d aaab a c,
    five tokens.
    """
    tok = train_bpe("aaabdaaabac", 3)
    assert tok.merges == [((97, 97), 256), ((97, 98), 257), ((256, 257), 258)]
    assert tok.vocab[258] == b"aaab"
    assert encode(tok, "aaabdaaabac") == [258, 100, 258, 97, 99]
    assert len(train_bpe("aaabdaaabac", 100).merges) == 3 + 4  # five tokens need four more merges


def test_training_stops_when_no_pair_is_left():
    """ "ab ab" pre-tokenizes to "ab" and " ab": merges (a, b), then (space, ab); then nothing."""
    tok = train_bpe("ab ab", 10)
    assert [tok.vocab[i] for _, i in tok.merges] == [b"ab", b" ab"]


def test_each_merge_shortens_the_training_text():
    """Replaying k merges on the training text gives the training segmentation, which every
    merge shortens by at least one token, until every chunk is one token."""
    text = SAMPLE_TEXT[:400]
    lengths = [len(encode(train_bpe(text, k), text)) for k in range(0, 400, 3)]
    assert lengths[0] == len(text.encode("utf-8"))
    assert lengths[-1] == len(pretokenize(text))
    assert all(a - b >= min(3, a - lengths[-1]) for a, b in itertools.pairwise(lengths))


def test_vocabulary_size_is_bytes_plus_merges_plus_specials():
    """GPT-2: 256 byte tokens + 50,000 merges + <|endoftext|> = 50,257 ids."""
    for k in (0, 7, 120):
        tok = train_bpe(SAMPLE_TEXT, k, special_tokens=[EOT])
        assert len(tok) == 256 + k + 1
        assert tok.special_tokens[EOT] == 256 + k  # the special token takes the last id
    assert 256 + 50_000 + 1 == 50_257


# ---------------------------------------------------------------- round trips and specials


def check_round_trip(train_fn, encode_fn, decode_fn) -> None:
    """decode(encode(s)) == s exactly, for tokenizers trained on several corpora."""
    for corpus, k in [(SAMPLE_TEXT, 200), (CORPORA[3], 50), ("", 10)]:
        tok = train_fn(corpus + EOT + corpus, k, special_tokens=[EOT])
        for s in [*EDGE_CASES, *NUMERIC_ODDITIES]:
            ids = encode_fn(tok, s)
            assert decode_fn(tok, ids) == s, s[:30]
            assert all(isinstance(i, int) for i in ids)


def test_round_trip_on_edge_cases():
    check_round_trip(train_bpe, encode, decode)


def test_no_merges_means_one_token_per_utf8_byte():
    tok = train_bpe("", 0)
    for s in EDGE_CASES:
        assert encode(tok, s) == list(s.encode("utf-8"))
    assert len(encode(tok, "🙂")) == 4 and len(encode(tok, "é")) == 2 and len(encode(tok, "分")) == 3


def test_decode_of_a_cut_character_uses_the_replacement_character():
    tok = train_bpe("", 0)
    ids = encode(tok, "🙂")
    assert decode(tok, ids[:2]) == "\ufffd"
    with pytest.raises(UnicodeDecodeError):
        decode(tok, ids[:2], errors="strict")


def test_special_tokens_are_never_split_nor_trained_on():
    text = (SAMPLE_TEXT + EOT) * 3
    tok = train_bpe(text, 300, special_tokens=[EOT])
    eot = tok.special_tokens[EOT]
    assert encode(tok, EOT) == [eot]
    assert encode(tok, f"a{EOT}b").count(eot) == 1
    assert eot not in encode(tok, EOT, allow_special=False)
    assert decode(tok, encode(tok, EOT, allow_special=False)) == EOT
    assert not any(b"|" in b for b in tok.vocab.values() if len(b) > 1)
    plain = train_bpe(text, 300)  # without the declaration, the marker's bytes get merged
    assert b"<|" in plain.vocab.values() and b"|>" in plain.vocab.values()


def test_training_ignores_where_special_tokens_sit():
    """Text between special tokens is trained on as separate documents."""
    a, b = SAMPLE_TEXT[:900], SAMPLE_TEXT[900:]
    joined = train_bpe(a + EOT + b, 80, special_tokens=[EOT])
    merges, _ = naive_train_bpe(a + EOT + b, 80, special_tokens=[EOT])
    assert joined.merges == merges


# ---------------------------------------------------------------- Hugging Face tokenizers


def hf_bpe(tok) -> Tokenizer:
    """The same vocabulary and merges as a ``tokenizers`` BPE model, bytes shown GPT-2 style."""
    show = bytes_to_unicode()
    vocab = {"".join(show[b] for b in bs): i for i, bs in tok.vocab.items()}
    merges = [tuple("".join(show[b] for b in tok.vocab[t]) for t in pair) for pair, _ in tok.merges]
    hf = Tokenizer(models.BPE(vocab, merges))
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    hf.add_special_tokens([AddedToken(s, special=True) for s in tok.special_tokens])
    return hf


def check_against_hf_bpe(train_fn, encode_fn) -> None:
    """Same ids as Hugging Face's BPE model on every edge case and on every corpus."""
    for corpus, k in [(SAMPLE_TEXT, 300), (CORPORA[3] * 3, 60), (random_corpus(5, "abc \n", 600), 50)]:
        tok = train_fn(corpus + EOT, k, special_tokens=[EOT])
        hf = hf_bpe(tok)
        assert hf.token_to_id(EOT) == tok.special_tokens[EOT]
        for s in [*EDGE_CASES, *CORPORA, corpus]:
            assert encode_fn(tok, s) == hf.encode(s).ids, s[:30]


def test_encoding_equals_hugging_face_bpe():
    check_against_hf_bpe(train_bpe, encode)


def test_bytes_to_unicode_is_gpt2s_table():
    """256 distinct printable characters; printable Latin-1 maps to itself, space to Ġ."""
    table = bytes_to_unicode()
    assert sorted(table) == list(range(256)) and len(set(table.values())) == 256
    assert all(c.isprintable() and not c.isspace() for c in table.values())
    assert table[ord("A")] == "A" and table[ord(" ")] == "Ġ" and table[0] == chr(256)
    assert table[ord("\n")] == "Ċ" and table[0xAD] == chr(256 + 67) == "Ń"  # the 68th moved byte
    assert sum(table[b] != chr(b) for b in range(256)) == 68


def test_pretokenizer_matches_gpt2_pattern_except_rare_numerics():
    """Our ``re`` pattern splits like GPT-2's ``\\p{L}``/``\\p{N}`` pattern in ``tokenizers``,
    except that numeric characters that are not decimal digits (², ½) count as letters."""
    hf = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    for s in [*EDGE_CASES, *CORPORA]:
        chunks = pretokenize(s)
        assert "".join(chunks) == s
        assert chunks == [s[a:b] for _, (a, b) in hf.pre_tokenize_str(s)], s[:30]
    assert pretokenize("x²") == ["x²"]
    assert [s for s, _ in hf.pre_tokenize_str("x²")] == ["x", "Â²"]


# ---------------------------------------------------------------- WordPiece


def test_wordpiece_hand_example():
    """Vocabulary un, ##aff, ##able, a, ab, ##bc, [UNK].

    "unaffable": the longest vocabulary prefix of "unaffable" is "un"; of the rest, with "##",
    "##aff"; then "##able". "abc": greedy takes "ab", then neither "##c" exists: the whole
    word is [UNK], although "a" + "##bc" would have covered it.
    """
    vocab = {"un", "##aff", "##able", "a", "ab", "##bc", "[UNK]"}
    assert wordpiece_encode("unaffable abc", vocab) == ["un", "##aff", "##able", "[UNK]"]
    assert wordpiece_encode("a", vocab) == ["a"]
    assert wordpiece_encode("", vocab) == []
    assert wordpiece_encode("unaffable", vocab, max_chars_per_word=8) == ["[UNK]"]
    assert wordpiece_encode("unaffable", vocab, max_chars_per_word=9) == ["un", "##aff", "##able"]
    assert unigram_segment("abc", {"a": -1.0, "ab": -1.0, "bc": -1.0})[0] == ["a", "bc"]
    # greedy takes the longest prefix "una" although "un ##aff ##able" is in the vocabulary
    vocab = {"un", "una", "##ff", "##aff", "##able"}
    assert wordpiece_encode("unaffable", vocab) == ["una", "##ff", "##able"]


def check_against_hf_wordpiece(wordpiece_fn) -> None:
    """Same pieces as Hugging Face's WordPiece model on random words and vocabularies."""
    rng = np.random.default_rng(0)
    for trial in range(20):
        letters = list("abcdé分")
        pieces = {"".join(rng.choice(letters, size=rng.integers(1, 4))) for _ in range(25)}
        vocab = {"[UNK]"} | {p if rng.random() < 0.5 else "##" + p for p in pieces}
        max_chars = int(rng.integers(3, 9))
        hf = Tokenizer(
            models.WordPiece(
                {v: i for i, v in enumerate(sorted(vocab))}, unk_token="[UNK]", max_input_chars_per_word=max_chars
            )
        )
        hf.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
        words = ["".join(rng.choice(letters, size=rng.integers(1, 10))) for _ in range(30)]
        text = " ".join(words) + "\n " + words[0]
        got = wordpiece_fn(text, vocab, max_chars_per_word=max_chars)
        assert got == hf.encode(text).tokens, trial


def test_wordpiece_equals_hugging_face():
    check_against_hf_wordpiece(wordpiece_encode)


def test_wordpiece_default_word_limit_is_hugging_faces():
    """Hugging Face's BERT tokenizer and ``tokenizers``' WordPiece turn words over 100 characters
    into [UNK] (Google's original BERT code uses 200; the page and bank say which is which)."""
    assert inspect.signature(wordpiece_encode).parameters["max_chars_per_word"].default == 100
    assert models.WordPiece({"[UNK]": 0}, unk_token="[UNK]").max_input_chars_per_word == 100
    assert wordpiece_encode("a" * 100 + " " + "a" * 101, {"a", "##a"}) == ["a"] + ["##a"] * 99 + ["[UNK]"]


# ---------------------------------------------------------------- Unigram


def brute_force_segment(word: str, log_probs: dict[str, float]):
    """Try all 2^(n-1) ways of cutting ``word``; return the best score and every valid cut
    that reaches it (several when the same pieces fit in another order, e.g. a + aa, aa + a)."""
    scored = []
    for cuts in itertools.product([False, True], repeat=max(len(word) - 1, 0)):
        bounds = [0, *[i + 1 for i, c in enumerate(cuts) if c], len(word)]
        pieces = [word[a:b] for a, b in itertools.pairwise(bounds)]
        if all(p in log_probs for p in pieces):
            scored.append((math.fsum(log_probs[p] for p in pieces), pieces))
    best = max(score for score, _ in scored)
    return best, [pieces for score, pieces in scored if score >= best - 1e-12]


def check_unigram_against_brute_force(segment_fn) -> None:
    rng = np.random.default_rng(0)
    for _ in range(60):
        word = "".join(rng.choice(list("abc"), size=rng.integers(1, 9)))
        subs = {word[i:j] for i in range(len(word)) for j in range(i + 1, len(word) + 1)}
        vocab = set(word) | {s for s in subs if rng.random() < 0.4}
        log_probs = {p: float(-rng.exponential(3.0)) for p in sorted(vocab)}
        pieces, score = segment_fn(word, log_probs)
        want_score, want_pieces = brute_force_segment(word, log_probs)
        assert math.isclose(score, want_score, rel_tol=0, abs_tol=1e-12)
        assert pieces in want_pieces and "".join(pieces) == word


def test_unigram_viterbi_equals_brute_force():
    check_unigram_against_brute_force(unigram_segment)


def test_unigram_hand_example_and_pruning_loss():
    """ "hug" with h, u, g at -3, hu at -2.5, ug at -2 (hug itself not a piece):
    h+u+g = -9, hu+g = -5.5, h+ug = -5, so the best cut is h + ug at -5.
    Removing "ug" leaves hu+g at -5.5: for a corpus with "hug" twice the loss rises 10 -> 11.
    """
    lp = {"h": -3.0, "u": -3.0, "g": -3.0, "hu": -2.5, "ug": -2.0}
    assert unigram_segment("hug", lp) == (["h", "ug"], -5.0)
    assert unigram_segment("", lp) == ([], 0.0)
    assert unigram_loss({"hug": 2}, lp) == 10.0
    without_ug = {p: v for p, v in lp.items() if p != "ug"}
    assert unigram_loss({"hug": 2}, without_ug) - unigram_loss({"hug": 2}, lp) == 1.0
    assert unigram_segment("hug", lp | {"hug": -5.2}) == (["h", "ug"], -5.0)
    assert unigram_loss({"hug": 3}, without_ug) - unigram_loss({"hug": 3}, lp) == 1.5
    assert unigram_segment("hug", lp | {"hug": -4.8})[0] == ["hug"]


# ---------------------------------------------------------------- bad input


def test_bad_input_raises_value_error():
    with pytest.raises(ValueError, match=r"num_merges must be an integer >= 0; got -1"):
        train_bpe("abc", -1)
    with pytest.raises(ValueError, match=r"num_merges must be an integer >= 0; got 2.5"):
        train_bpe("abc", 2.5)
    with pytest.raises(ValueError, match=r"tie_break must be one of .*; got 'lexical'"):
        train_bpe("abc", 1, tie_break="lexical")
    with pytest.raises(ValueError, match=r"special tokens must be non-empty strings; got \[''\]"):
        train_bpe("abc", 1, special_tokens=[""])
    with pytest.raises(ValueError, match=r"special tokens must be non-empty strings; got"):
        train_bpe("abc", 1, special_tokens=EOT)
    tok = train_bpe("abc", 1, special_tokens=[EOT])
    with pytest.raises(ValueError, match=r"ids must be in the vocabulary of 258 tokens; got 258"):
        decode(tok, [97, 258])
    with pytest.raises(ValueError, match=r"max_chars_per_word must be an integer >= 1; got 0"):
        wordpiece_encode("a", {"a"}, max_chars_per_word=0)
    with pytest.raises(ValueError, match=r"word must be coverable by the vocabulary's pieces; got 'abz'"):
        unigram_segment("abz", {"a": -1.0, "b": -1.0})


# ---------------------------------------------------------------- the bank's numeric keys


def test_bank_numeric_answers_are_right():
    """Every numeric key recomputed from the package (or from the published sizes it names)."""
    lp = {"h": -3.0, "u": -3.0, "g": -3.0, "hu": -2.5, "ug": -2.0}
    without_ug = {p: v for p, v in lp.items() if p != "ug"}
    gpt2 = train_bpe("", 0, special_tokens=[EOT])
    computed = {
        "tokenization.tokens-after-three": len(encode(train_bpe("aaabdaaabac", 3), "aaabdaaabac")),
        "tokenization.gpt2-merges": 50_257 - len(gpt2),  # 256 bytes + 1 special token
        "tokenization.emoji-bytes": len(encode(train_bpe("", 0), "🙂")),
        "tokenization.viterbi-score": unigram_segment("hug", lp | {"hug": -5.2})[1],
        "tokenization.pruning-loss": unigram_loss({"hug": 3}, without_ug) - unigram_loss({"hug": 3}, lp),
        "tokenization.attention-cost": 1.5**2,
        "tokenization.extra-tokens": 12_000 / 1.5 - 12_000 / 4,
        "tokenization.bert-max-chars": 200,  # Google's tokenization.py: max_input_chars_per_word=200
        "tokenization.embedding-params": 2 * 128_256 * 4096 / 1e6,  # Llama 3 8B, untied
    }
    check_numeric_keys("tokenization", computed, bank_tolerance)


def test_page_names_both_word_limits():
    """The page once called 100 "BERT's" limit; Google's BERT uses 200, Hugging Face 100."""
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "concepts" / "tokenization.md").read_text(encoding="utf-8")
    assert "100 in\n  BERT's tokenizer" not in page and "(100 in" not in page
    assert page.count("200 in") >= 2 and "Google's original BERT" in page


# ---------------------------------------------------------------- exercises: the learner's checks on our code


@pytest.mark.parametrize(
    ("exercise", "impl"), [("tokenization.merge-pair", merge_pair), ("tokenization.train-merges", train_merges)]
)
def test_exercise_checks_pass_on_our_code(exercise, impl):
    results = run_checks(CHECKS[exercise], impl)
    assert [(r.name, r.message) for r in results if not r.passed] == []


def test_train_merges_is_train_bpe_with_first_occurrence_ties():
    for text in CORPORA:
        tok = train_bpe(text, 40, tie_break="first-occurrence")
        want = [(tok.vocab[a], tok.vocab[b]) for (a, b), _ in tok.merges]
        assert train_merges(pretokenize(text), 40) == want
    with pytest.raises(TypeError, match=r"chunks must be a list of strings; got str"):
        train_merges("abc", 2)
    assert merge_pair([], (1, 2), 3) == []


def test_training_restores_the_garbage_collector():
    """The trainer pauses the cyclic collector for speed and must leave it as it found it."""
    import gc

    assert gc.isenabled()
    train_bpe(SAMPLE_TEXT, 20)
    assert gc.isenabled()
    gc.disable()
    try:
        train_bpe(SAMPLE_TEXT, 20)
        assert not gc.isenabled()
    finally:
        gc.enable()
