"""Checks for the tokenization exercises: one BPE merge step, and BPE training for n merges.

The merge step is compared with hand-worked cases and with Python's ``str.replace`` on ids
written as characters (it also scans left to right without overlap). Training is compared
with a hand-worked corpus and with a naive trainer written here in the style of minbpe:
recount every pair after every merge, take ``max(stats, key=stats.get)`` (the first pair to
reach the top count, in text order). Our own implementation is never the reference.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

from concepts.exercises._harness import check, expect

__all__ = ["CHECKS"]

# (ids, pair, new_id, expected), each worked by hand, smallest first
MERGE_CASES = [
    ([], (1, 2), 9, []),
    ([5], (5, 5), 9, [5]),
    ([1, 2], (1, 2), 9, [9]),
    ([2, 1], (1, 2), 9, [2, 1]),
    ([3, 1, 2], (1, 2), 9, [3, 9]),  # the pair at the very end
    ([1, 1, 1], (1, 1), 9, [9, 1]),  # no overlap: the left pair wins
    ([1, 2, 1, 2], (1, 2), 9, [9, 9]),  # back to back
    ([1, 1, 1, 1], (1, 1), 9, [9, 9]),
    ([1, 1, 1, 2, 1, 1], (1, 1), 9, [9, 1, 2, 9]),
]


def _as_text(ids: list[int]) -> str:
    return "".join(chr(0x4E00 + i) for i in ids)  # one CJK character per id, none special to str


def _replace_reference(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """``str.replace`` on ids written as characters: left to right, non-overlapping."""
    out = _as_text(ids).replace(_as_text(list(pair)), _as_text([new_id]))
    return [ord(c) - 0x4E00 for c in out]


@check("hand-worked cases: empty, no match, the pair at the end, [1, 1, 1] -> [9, 1]", section="tokenization-bpe")
def check_hand_examples(candidate: Any) -> None:
    for ids, pair, new_id, want in MERGE_CASES:
        got = candidate(list(ids), pair, new_id)
        expect(
            isinstance(got, list) and got == want,
            f"merge_pair({ids}, {pair}, {new_id}): expected {want}, got {got!r}"
            + (" (occurrences must not overlap: after a match, continue after the pair)" if pair[0] == pair[1] else ""),
        )


@check("equals a left-to-right, non-overlapping replace on 300 random id lists", section="tokenization-bpe")
def check_random_lists(candidate: Any) -> None:
    rng = random.Random(0)
    for trial in range(300):
        n = trial // 20  # lengths grow, so the first failure is a short list
        ids = [rng.randint(0, 3) for _ in range(n)]
        pair = (rng.randint(0, 3), rng.randint(0, 3))
        want = _replace_reference(ids, pair, 7)
        got = candidate(list(ids), pair, 7)
        expect(got == want, f"merge_pair({ids}, {pair}, 7): expected {want}, got {got!r}")


@check("leaves the input list unchanged (returns a new list)", section="tokenization-bpe")
def check_input_unchanged(candidate: Any) -> None:
    ids = [1, 2, 3, 1, 2]
    got = candidate(ids, (1, 2), 9)
    expect(ids == [1, 2, 3, 1, 2], f"the input list was modified to {ids}; build and return a new list")
    expect(got == [9, 3, 9], f"merge_pair([1, 2, 3, 1, 2], (1, 2), 9): expected [9, 3, 9], got {got!r}")


def naive_train(chunks: list[str], num_merges: int) -> list[tuple[bytes, bytes]]:
    """minbpe's loop over pre-split chunks, tokens kept as byte strings."""
    words = [[bytes([b]) for b in c.encode("utf-8")] for c in chunks]
    merges = []
    for _ in range(num_merges):
        stats: dict[tuple[bytes, bytes], int] = {}
        for w in words:
            for pair in itertools.pairwise(w):
                stats[pair] = stats.get(pair, 0) + 1
        if not stats:
            break
        best = max(stats, key=stats.get)  # the first pair to reach the top count wins a tie
        merges.append(best)
        for w in words:
            i = 0
            while i < len(w) - 1:
                if (w[i], w[i + 1]) == best:
                    w[i : i + 2] = [best[0] + best[1]]
                i += 1
    return merges


def _show(merges: Any) -> str:
    return repr(merges) if not isinstance(merges, list) or len(merges) <= 6 else repr(merges[:6])[:-1] + ", ...]"


def _compare_merges(got: Any, want: list, call: str) -> None:
    expect(isinstance(got, list), f"{call}: return a list of (bytes, bytes) pairs; got {type(got).__name__}")
    got = [tuple(p) for p in got]
    if got == want:
        return
    first = next((r for r, (g, w) in enumerate(zip(got, want, strict=False)) if g != w), min(len(got), len(want)))
    expect(
        False,
        f"{call}: merge {first + 1} differs: expected {want[first] if first < len(want) else 'no more merges'}, "
        f"got {got[first] if first < len(got) else 'no more merges'}\nexpected: {_show(want)}\ngot:      {_show(got)}",
    )


@check(
    "hand-worked corpus aaabdaaabac: aa, then the tie aa+a over a+b (first occurrence), then aaa+b",
    section="tokenization-ties",
)
def check_hand_example(candidate: Any) -> None:
    _compare_merges(
        candidate(["aaabdaaabac"], 3), [(b"a", b"a"), (b"aa", b"a"), (b"aaa", b"b")], "train_merges(['aaabdaaabac'], 3)"
    )
    _compare_merges(candidate(["ab"], 5), [(b"a", b"b")], "train_merges(['ab'], 5) (stop when no pair is left)")
    _compare_merges(candidate([], 3), [], "train_merges([], 3)")


@check(
    "a repeated chunk counts once per occurrence: ['cd', 'ab', 'ab', 'ab'] merges a+b first",
    section="tokenization-training",
)
def check_repeated_chunks(candidate: Any) -> None:
    chunks = ["cd", "ab", "ab", "ab"]
    _compare_merges(candidate(chunks, 2), [(b"a", b"b"), (b"c", b"d")], f"train_merges({chunks}, 2)")


@check("pairs never cross chunks: ['a', 'b', 'a', 'b'] has no pair to merge", section="tokenization-byte-level")
def check_chunk_boundaries(candidate: Any) -> None:
    _compare_merges(candidate(["a", "b", "a", "b"], 3), [], "train_merges(['a', 'b', 'a', 'b'], 3)")
    _compare_merges(
        candidate([" the", " cat", " the"], 2),
        [(b" ", b"t"), (b" t", b"h")],
        "train_merges([' the', ' cat', ' the'], 2)",
    )


@check("equals a naive minbpe-style trainer on random corpora, UTF-8 text included", section="tokenization-training")
def check_against_naive(candidate: Any) -> None:
    rng = random.Random(1)
    for trial in range(12):
        alphabet = "ab c" if trial < 6 else "aé分 b"
        chunks = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(4 + 3 * trial)]
        k = 5 + 2 * trial
        _compare_merges(candidate(list(chunks), k), naive_train(chunks, k), f"train_merges({chunks}, {k})")


CHECKS: dict[str, list] = {
    "tokenization.merge-pair": [check_hand_examples, check_random_lists, check_input_unchanged],
    "tokenization.train-merges": [
        check_hand_example,
        check_repeated_chunks,
        check_chunk_boundaries,
        check_against_naive,
    ],
}
