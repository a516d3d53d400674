"""Joins the chunks into one string, so merges cross chunk boundaries."""

import itertools

EXPECTED_FAILURE = "check_chunk_boundaries"


def train_merges(chunks, num_merges):
    word = [bytes([b]) for b in "".join(chunks).encode("utf-8")]
    merges = []
    for _ in range(num_merges):
        stats = {}
        for pair in itertools.pairwise(word):
            stats[pair] = stats.get(pair, 0) + 1
        if not stats:
            break
        best = max(stats, key=stats.get)
        merges.append(best)
        i = 0
        while i < len(word) - 1:
            if (word[i], word[i + 1]) == best:
                word[i : i + 2] = [best[0] + best[1]]
            i += 1
    return merges
