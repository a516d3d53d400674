"""Rewrites the caller's list in place instead of returning a new one."""

EXPECTED_FAILURE = "check_input_unchanged"


def merge_pair(ids, pair, new_id):
    i = 0
    while i < len(ids) - 1:
        if (ids[i], ids[i + 1]) == pair:
            ids[i : i + 2] = [new_id]
        i += 1
    return ids
