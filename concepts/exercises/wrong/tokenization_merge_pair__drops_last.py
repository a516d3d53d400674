"""Loops over pairs only, so a last token that is not part of a match is lost."""

EXPECTED_FAILURE = "check_hand_examples"


def merge_pair(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids) - 1:
        if (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out
