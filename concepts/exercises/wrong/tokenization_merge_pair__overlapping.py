"""Advances by one after a match, so overlapping occurrences are both merged: [1, 1, 1] -> [9, 9]."""

EXPECTED_FAILURE = "check_hand_examples"


def merge_pair(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            if i + 2 < len(ids) and (ids[i + 1], ids[i + 2]) == pair:
                i += 1  # the classic slip: the right half of this pair starts the next one
                continue
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out
