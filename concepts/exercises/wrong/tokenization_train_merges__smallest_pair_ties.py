"""Breaks ties by the smallest pair of byte strings instead of the first occurrence in the text."""

import itertools

EXPECTED_FAILURE = "check_hand_example"


def train_merges(chunks, num_merges):
    words = [[bytes([b]) for b in c.encode("utf-8")] for c in chunks]
    merges = []
    for _ in range(num_merges):
        stats = {}
        for w in words:
            for pair in itertools.pairwise(w):
                stats[pair] = stats.get(pair, 0) + 1
        if not stats:
            break
        best = min(stats, key=lambda p: (-stats[p], p))  # tie -> smallest pair: a valid rule, not the one asked
        merges.append(best)
        for w in words:
            i = 0
            while i < len(w) - 1:
                if (w[i], w[i + 1]) == best:
                    w[i : i + 2] = [best[0] + best[1]]
                i += 1
    return merges
