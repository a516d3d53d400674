"""Tokenization: turning text into the integer ids a language model reads, and back.

Follows byte-level BPE as in GPT-2 (Radford et al., 2019; BPE from Sennrich et al., 2016)
with incrementally updated pair counts, WordPiece's greedy longest-match encoder as in BERT,
and Unigram's Viterbi segmentation (Kudo, 2018). Leaves out Unigram's EM training and
pruning loop (only the loss that pruning ranks pieces by is here), BERT's lower-casing and
punctuation splitting, normalisation (NFC/NFKC), and BPE dropout. The pre-tokenizer is
GPT-2's pattern rewritten for the standard ``re`` module: letters are ``[^\\W\\d_]`` and
numbers ``\\d``, so rare numeric characters such as ``²`` count as letters here.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise

from concepts._bpe_training import TIE_BREAKS, learn_merges

__all__ = [
    "GPT2_PATTERN",
    "SAMPLE_TEXT",
    "BPETokenizer",
    "bytes_to_unicode",
    "decode",
    "encode",
    "merge_pair",
    "pretokenize",
    "train_bpe",
    "train_merges",
    "unigram_loss",
    "unigram_segment",
    "wordpiece_encode",
]

GPT2_PATTERN = "|".join(
    [
        r"'s|'t|'re|'ve|'m|'ll|'d",  # English contractions
        r" ?[^\W\d_]+",  # an optional space and letters (GPT-2: \p{L})
        r" ?\d+",  # an optional space and digits (GPT-2: \p{N})
        r" ?(?:[^\s\w]|_)+",  # an optional space and other symbols
        r"\s+(?!\S)",  # whitespace not followed by a word, so " word" keeps its space
        r"\s+",  # any remaining whitespace
    ]
)
"""GPT-2's pre-tokenizer pattern rewritten for Python's ``re``, which has no ``\\p{...}``."""

SAMPLE_TEXT = (
    "A language model never sees letters. It sees a list of integers, and the tokenizer "
    "decides how the text is cut before any of those integers exist. Cut the text into single "
    "bytes and every string can be written down, but a sentence becomes a very long list. Cut "
    "it into whole words and the list is short, but the vocabulary never ends: every new name, "
    "typo and number needs a word of its own. Subword tokenizers sit between the two. They keep "
    "the common words whole and build the rare words out of smaller pieces.\n\n"
    "Byte pair encoding learns its pieces by counting. It starts from the bytes, counts every "
    "pair of neighbouring tokens in the training text, and merges the most frequent pair into a "
    "new token. Then it counts again and merges again, thousands of times. The merges are "
    "remembered in order, and encoding a new text replays them in the same order. Because the "
    "first tokens are the two hundred and fifty six bytes, nothing is ever unknown: a word the "
    "tokenizer has never seen still falls apart into pieces it knows.\n\n"
    "The number of tokens matters because the model pays for every one of them. Context windows "
    "are measured in tokens, prices are quoted in tokens, and attention costs grow with the "
    "square of the number of tokens. A tokenizer trained mostly on English text cuts English "
    "into long pieces and other languages into short ones, so the same meaning can cost two or "
    "three times as much in another language.\n\n"
    "WordPiece, used by BERT, encodes a word by taking the longest piece in its vocabulary that "
    "starts the word, then the longest piece that continues it, and so on. Unigram, used by "
    "many SentencePiece models, gives every piece a probability and picks the segmentation whose "
    "pieces are most probable together. Special tokens such as the end of text marker are added "
    "by hand, are never split, and must never be produced by accident from ordinary user text.\n"
)
"""Four paragraphs written for this package: the training text of the page's figure and examples."""


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's table from the 256 byte values to printable characters, used to show tokens.

    Printable Latin-1 bytes map to themselves; the other 68 bytes (controls, space, ...) map to
    ``chr(256 + n)`` in byte order, so a leading space is shown as ``Ġ``.

    :returns: a dict of 256 entries, byte value to a one-character string.

    >>> from concepts.tokenization import bytes_to_unicode
    >>> table = bytes_to_unicode()
    >>> table[ord("a")], table[ord(" ")], table[ord("\\n")]
    ('a', 'Ġ', 'Ċ')
    """
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    moved = [b for b in range(256) if b not in keep]
    return {b: chr(b) for b in keep} | {b: chr(256 + n) for n, b in enumerate(moved)}


def pretokenize(text: str, *, pattern: str = GPT2_PATTERN) -> list[str]:
    """Split text into the chunks that BPE merges never cross.

    :param text: any string.
    :param pattern: a ``re`` pattern whose matches, joined, must give back ``text``.
    :returns: the chunks, in order; ``"".join(chunks) == text``.

    >>> from concepts.tokenization import pretokenize
    >>> pretokenize("Hello world's  42!")
    ['Hello', ' world', "'s", ' ', ' 42', '!']
    """
    return re.findall(pattern, text)


@dataclass
class BPETokenizer:
    """What BPE training learns: the merges in rank order and the vocabulary they build.

    ``merges[r] = ((a, b), c)`` means that the rank-``r`` merge joins tokens ``a`` and ``b`` into
    ``c``; ids 0-255 are the bytes. ``special_tokens`` maps each special string to its id.
    """

    merges: list[tuple[tuple[int, int], int]]
    vocab: dict[int, bytes]
    special_tokens: dict[str, int] = field(default_factory=dict)
    pattern: str = GPT2_PATTERN

    def __len__(self) -> int:
        """Vocabulary size: bytes, merged tokens and special tokens."""
        return len(self.vocab) + len(self.special_tokens)


def merge_pair(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every occurrence of ``pair`` in ``ids`` by ``new_id``, scanning left to right.

    Occurrences do not overlap: in ``[7, 7, 7]`` the pair ``(7, 7)`` is replaced once, at the
    left, which is what BPE training and encoding both do.

    :param ids: token ids.
    :param pair: the two adjacent ids to join.
    :param new_id: the id of the merged token.
    :returns: a new list; ``ids`` is not changed.

    >>> from concepts.tokenization import merge_pair
    >>> merge_pair([1, 1, 1, 2, 1, 1], (1, 1), 9)
    [9, 1, 2, 9]
    """
    a, b = pair
    out, i, n = [], 0, len(ids)
    while i < n:
        if ids[i] == a and i + 1 < n and ids[i + 1] == b:
            out.append(new_id)  # join the pair; the scan resumes after it, so no overlap
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _split_special(text: str, specials: Iterable[str]) -> list[str]:
    """Split around special strings (longest first), keeping them as their own items."""
    specials = sorted(specials, key=len, reverse=True)
    if not specials:
        return [text]
    return re.split("(" + "|".join(map(re.escape, specials)) + ")", text)


def train_bpe(
    text: str,
    num_merges: int,
    *,
    special_tokens: Collection[str] = (),
    pattern: str = GPT2_PATTERN,
    tie_break: str = "smallest-pair",
) -> BPETokenizer:
    """Learn byte-level BPE merges, updating pair counts incrementally after each merge.

    The most frequent adjacent pair wins. Ties for the top count are common, and two rules
    are offered: ``"smallest-pair"`` takes the smallest pair of ids (the default, as here
    since the first version); ``"first-occurrence"`` takes the pair that occurs first in the
    current text, which is what minbpe's ``max(stats, key=stats.get)`` does. Counts live on
    the unique chunks (with their frequencies), so each merge rewrites only the chunks that
    contain the pair and re-queues each pair whose count changed once. Training stops early
    when no pair is left. A merge whose bytes already have an id reuses it, as Hugging
    Face's trainer does.

    :param text: the training text; special tokens in it are cut out and never trained on.
    :param num_merges: how many merges to learn, at least 0.
    :param special_tokens: strings that get their own ids after the learned ones.
    :param pattern: the pre-tokenizer's ``re`` pattern.
    :param tie_break: ``"smallest-pair"`` or ``"first-occurrence"``.
    :returns: the learned :class:`BPETokenizer`.
    :raises ValueError: for a negative ``num_merges``, an empty special token or an unknown
        ``tie_break``.

    >>> from concepts.tokenization import train_bpe
    >>> tok = train_bpe("aaabdaaabac", 3)
    >>> [(tok.vocab[a], tok.vocab[b]) for (a, b), _ in tok.merges]
    [(b'a', b'a'), (b'a', b'b'), (b'aa', b'ab')]
    >>> tok = train_bpe("aaabdaaabac", 3, tie_break="first-occurrence")
    >>> [(tok.vocab[a], tok.vocab[b]) for (a, b), _ in tok.merges]
    [(b'a', b'a'), (b'aa', b'a'), (b'aaa', b'b')]
    """
    if isinstance(num_merges, bool) or not isinstance(num_merges, int) or num_merges < 0:
        raise ValueError(f"num_merges must be an integer >= 0; got {num_merges!r}")
    if isinstance(special_tokens, str) or any(not isinstance(s, str) or not s for s in special_tokens):
        raise ValueError(f"special tokens must be non-empty strings; got {list(special_tokens)!r}")
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"tie_break must be one of {TIE_BREAKS}; got {tie_break!r}")
    chunks: Counter = Counter()  # keys in order of first appearance
    for part in _split_special(text, special_tokens):
        if part not in special_tokens:
            chunks.update(pretokenize(part, pattern=pattern))
    merges, vocab = learn_merges(chunks, num_merges, tie_break)
    specials = {s: len(vocab) + i for i, s in enumerate(dict.fromkeys(special_tokens))}
    return BPETokenizer(merges, vocab, specials, pattern)


def train_merges(chunks: list[str], num_merges: int) -> list[tuple[bytes, bytes]]:
    """BPE merges learned from pre-split chunks, as pairs of byte strings (the exercise's interface).

    Pairs never cross chunks; the most frequent pair wins and ties go to the pair that occurs
    first in the text (``tie_break="first-occurrence"``); fewer merges come back when no
    pair is left.

    >>> from concepts.tokenization import train_merges
    >>> train_merges(["aaabdaaabac"], 3)
    [(b'a', b'a'), (b'aa', b'a'), (b'aaa', b'b')]
    """
    if isinstance(chunks, str) or not all(isinstance(c, str) for c in chunks):
        raise TypeError(f"chunks must be a list of strings; got {type(chunks).__name__}")
    if isinstance(num_merges, bool) or not isinstance(num_merges, int) or num_merges < 0:
        raise ValueError(f"num_merges must be an integer >= 0; got {num_merges!r}")
    merges, vocab = learn_merges(Counter(chunks), num_merges, "first-occurrence")
    return [(vocab[a], vocab[b]) for (a, b), _ in merges]


def _bpe_chunk(piece: bytes, ranks: Mapping[tuple[int, int], tuple[int, int]]) -> list[int]:
    """Apply merges to one chunk, always the lowest-ranked pair present first."""
    word = list(piece)
    while len(word) > 1:
        pair = min(pairwise(word), key=lambda p: ranks.get(p, (math.inf, 0))[0])
        if pair not in ranks:
            break
        word = merge_pair(word, pair, ranks[pair][1])
    return word


def encode(tokenizer: BPETokenizer, text: str, *, allow_special: bool = True) -> list[int]:
    """Encode text to ids: split off special tokens, pre-tokenize, replay merges by rank.

    :param tokenizer: a trained :class:`BPETokenizer`.
    :param text: any string.
    :param allow_special: if False, special strings in ``text`` are encoded as plain text.
    :returns: the token ids, length ``(n_tokens,)``.

    >>> from concepts.tokenization import encode, train_bpe
    >>> tok = train_bpe("aaabdaaabac", 3, special_tokens=["<|eot|>"])
    >>> encode(tok, "aaabdaaabac<|eot|>")
    [258, 100, 258, 97, 99, 259]
    """
    ranks = {pair: (r, new_id) for r, (pair, new_id) in enumerate(tokenizer.merges)}
    specials = tokenizer.special_tokens if allow_special else {}
    ids: list[int] = []
    cache: dict[str, list[int]] = {}
    for part in _split_special(text, specials):
        if part in specials:
            ids.append(specials[part])
            continue
        for chunk in pretokenize(part, pattern=tokenizer.pattern):
            if chunk not in cache:
                cache[chunk] = _bpe_chunk(chunk.encode("utf-8"), ranks)
            ids.extend(cache[chunk])
    return ids


def decode(tokenizer: BPETokenizer, ids: Iterable[int], *, errors: str = "replace") -> str:
    """Decode ids to text: concatenate the tokens' bytes, then decode UTF-8 once.

    :param tokenizer: a trained :class:`BPETokenizer`.
    :param ids: token ids, as :func:`encode` returns them.
    :param errors: how invalid UTF-8 (a cut inside a character) is decoded; ``"replace"`` as in GPT-2.
    :returns: the text.
    :raises ValueError: for an id the tokenizer does not have.

    >>> from concepts.tokenization import decode, encode, train_bpe
    >>> tok = train_bpe("hello hello", 2)
    >>> decode(tok, encode(tok, "héllo 🙂"))
    'héllo 🙂'
    """
    names = {i: s.encode("utf-8") for s, i in tokenizer.special_tokens.items()}
    out = []
    for i in ids:
        if i not in tokenizer.vocab and i not in names:
            raise ValueError(f"ids must be in the vocabulary of {len(tokenizer)} tokens; got {i!r}")
        out.append(tokenizer.vocab[i] if i in tokenizer.vocab else names[i])
    return b"".join(out).decode("utf-8", errors=errors)


def wordpiece_encode(
    text: str,
    vocab: Collection[str],
    *,
    unk_token: str = "[UNK]",
    prefix: str = "##",
    max_chars_per_word: int = 100,
) -> list[str]:
    """WordPiece encoding (BERT): greedy longest match first, word by word.

    Words are split on whitespace. A word longer than ``max_chars_per_word`` characters, or one
    that cannot be covered by vocabulary pieces, becomes a single ``unk_token``.

    :param text: the text, already normalised (no lower-casing happens here).
    :param vocab: the pieces; continuation pieces carry ``prefix``.
    :param unk_token: what an unencodable word becomes.
    :param prefix: the mark of a piece that continues a word.
    :param max_chars_per_word: longer words become ``unk_token``; at least 1.
    :returns: the pieces as strings.
    :raises ValueError: for ``max_chars_per_word`` below 1.

    >>> from concepts.tokenization import wordpiece_encode
    >>> wordpiece_encode("unaffable xyz", {"un", "##aff", "##able", "x", "##y"})
    ['un', '##aff', '##able', '[UNK]']
    """
    if not isinstance(max_chars_per_word, int) or max_chars_per_word < 1:
        raise ValueError(f"max_chars_per_word must be an integer >= 1; got {max_chars_per_word!r}")
    out: list[str] = []
    for word in text.split():
        pieces, start = [], 0
        while start < len(word) <= max_chars_per_word:
            end = len(word)
            while end > start and (prefix if start else "") + word[start:end] not in vocab:
                end -= 1  # shorten until the piece is in the vocabulary
            if end == start:
                break  # nothing matches here: the whole word is unknown
            pieces.append((prefix if start else "") + word[start:end])
            start = end
        out.extend(pieces if start == len(word) else [unk_token])
    return out


def unigram_segment(word: str, log_probs: Mapping[str, float]) -> tuple[list[str], float]:
    """Unigram segmentation by Viterbi: the pieces whose log-probabilities sum highest.

    ``best[i] = max_j best[j] + log p(word[j:i])`` over pieces ``word[j:i]`` in the vocabulary.

    :param word: the string to segment (SentencePiece marks spaces with ``▁`` first).
    :param log_probs: piece to its log-probability.
    :returns: the best pieces and their total log-probability.
    :raises ValueError: when the vocabulary cannot cover ``word``.

    >>> from concepts.tokenization import unigram_segment
    >>> unigram_segment("hug", {"h": -3.0, "u": -3.0, "g": -3.0, "hu": -2.5, "ug": -2.0})
    (['h', 'ug'], -5.0)
    """
    longest = max(map(len, log_probs), default=0)
    best = [0.0] + [-math.inf] * len(word)  # best[i]: score of the best cut of word[:i]
    back = [0] * (len(word) + 1)
    for i in range(1, len(word) + 1):
        for j in range(max(0, i - longest), i):
            piece = word[j:i]
            if piece in log_probs and best[j] + log_probs[piece] > best[i]:
                best[i], back[i] = best[j] + log_probs[piece], j
    if best[-1] == -math.inf:
        raise ValueError(f"word must be coverable by the vocabulary's pieces; got {word!r}")
    pieces, i = [], len(word)
    while i > 0:
        pieces.append(word[back[i] : i])
        i = back[i]
    return pieces[::-1], best[-1]


def unigram_loss(word_counts: Mapping[str, int], log_probs: Mapping[str, float]) -> float:
    """Corpus loss under the best segmentations: ``-sum_w count(w) * log p(best cut of w)``.

    Unigram training prunes the pieces whose removal raises this loss the least.

    :param word_counts: word to its count in the corpus.
    :param log_probs: piece to its log-probability.
    :returns: the loss, a float >= 0 when all log-probabilities are <= 0.

    >>> from concepts.tokenization import unigram_loss
    >>> lp = {"h": -3.0, "u": -3.0, "g": -3.0, "hu": -2.5, "ug": -2.0}
    >>> unigram_loss({"hug": 2}, lp), unigram_loss({"hug": 2}, {p: v for p, v in lp.items() if p != "ug"})
    (10.0, 11.0)
    """
    return -sum(n * unigram_segment(w, log_probs)[1] for w, n in word_counts.items())
