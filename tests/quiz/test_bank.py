"""Loading and validating banks: every problem is one line naming the file and the JSON path."""

from __future__ import annotations

import pytest

from quiz.bank import BankError, bank_path, check_rules, load_bank, page_ids, validate_files


def test_sample_bank_is_valid(sample, write_bank) -> None:
    path = write_bank(sample)
    assert load_bank(path)["concept"] == "sample"
    assert validate_files([path]) == []


def test_truncated_json_names_file_line_and_column(sample, write_bank) -> None:
    text = write_bank(sample).read_text()
    path = write_bank(text[: len(text) // 2])
    with pytest.raises(BankError) as info:
        load_bank(path)
    message = str(info.value)
    assert "sample.json: line " in message and ", column " in message and "invalid JSON" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("breakage", "json_path", "words"),
    [
        (
            lambda b: b["questions"][0]["options"][1].pop("explain"),
            "$.questions[0].options[1]",
            "'explain' is a required",
        ),
        (lambda b: b["questions"][2].pop("abs_tol"), "$.questions[2]", "abs_tol"),
        (lambda b: b["questions"][1].update(level=4), "$.questions[1].level", "4"),
        (lambda b: b["questions"][3].update(accept=[]), "$.questions[3].accept", "should be non-empty"),
        (lambda b: b["interview"][0].update(level="phone"), "$.interview[0].level", "'phone'"),
        (lambda b: b["questions"][0].update(answer=3), "$.questions[0]", "answer"),
        (lambda b: b.pop("title"), "$", "'title' is a required"),
    ],
)
def test_schema_violation_names_json_path(sample, write_bank, breakage, json_path, words) -> None:
    breakage(sample)
    with pytest.raises(BankError) as info:
        load_bank(write_bank(sample))
    message = str(info.value)
    assert f"sample.json: {json_path}: " in message, message
    assert words in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("breakage", "json_path", "words"),
    [
        (
            lambda b: b["questions"][0]["options"][0].update(correct=True),
            "$.questions[0].options",
            "exactly one correct",
        ),
        (
            lambda b: (
                b["questions"][1]["options"][0].update(correct=False)
                or b["questions"][1]["options"][2].update(correct=False)
            ),
            "$.questions[1].options",
            "at least one correct",
        ),
        (lambda b: b["questions"][1].update(id="sample.pick"), "$.questions[1].id", "duplicate id"),
        (lambda b: b["questions"][2].update(id="other.number"), "$.questions[2].id", "must start with 'sample.'"),
        (lambda b: b["questions"][0]["options"][2].update(id="by-dk"), "$.questions[0].options", "duplicate option id"),
        (
            lambda b: b["questions"][3].update(regex="rms(norm"),
            "$.questions[3].regex",
            "not a valid regular expression",
        ),
        (lambda b: b.update(concept="elsewhere"), "$.concept", "must equal the file name"),
    ],
)
def test_authoring_rules(sample, write_bank, breakage, json_path, words) -> None:
    breakage(sample)
    path = write_bank(sample)
    with pytest.raises(BankError) as info:
        load_bank(path)
    assert f"sample.json: {json_path}: " in str(info.value) and words in str(info.value)
    problems = validate_files([path])
    assert any(json_path + ": " in p and words in p for p in problems), problems


def test_correct_option_in_the_same_place_everywhere_is_flagged(sample) -> None:
    single = sample["questions"][0]
    sample["questions"] = [dict(single, id=f"sample.q{i}") for i in range(4)]
    assert ("$.questions", "the correct option sits in the same place in every single question") in list(
        check_rules(sample)
    )
    sample["questions"][3]["options"] = single["options"][1:] + single["options"][:1]
    assert list(check_rules(sample)) == []


def test_ids_must_be_unique_across_banks(sample, write_bank) -> None:
    first = write_bank(sample)
    other = dict(sample, concept="other")
    other["questions"] = [dict(q, id=q["id"].replace("sample.", "other.")) for q in sample["questions"]]
    other["questions"][0]["id"] = "other.pick"
    other["interview"] = []
    second = write_bank(other, "other")
    assert validate_files([first, second]) == []
    other["questions"][1]["id"] = "sample.pick"
    second = write_bank(other, "other")
    problems = validate_files([first, second])
    assert any("other.json: $.questions[1].id" in p for p in problems), problems


def test_validate_collects_every_problem(sample, write_bank) -> None:
    sample["questions"][0]["options"][0]["correct"] = True
    sample["questions"][3]["regex"] = "("
    problems = validate_files([write_bank(sample)])
    assert len(problems) == 2


def test_unknown_slug_suggests_near_names() -> None:
    with pytest.raises(BankError, match=r"unknown quiz 'atention'; did you mean attention"):
        bank_path("atention")
    with pytest.raises(BankError, match="unknown quiz 'zzzz' \\(python -m quiz lists them\\)"):
        bank_path("zzzz")


def test_missing_file(tmp_path) -> None:
    with pytest.raises(BankError, match="no such file"):
        bank_path(str(tmp_path / "nope.json"))


def test_page_ids_reads_headings_and_targets_but_not_code(tmp_path) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        "(concept-batch_norm)=\n# Batch norm\n\n## The math\n\n(bn-fold)=\n### Folding\n\n"
        "```python\n## not a heading\n```\n"
    )
    assert page_ids(page) == {"concept-batch-norm", "batch-norm", "the-math", "bn-fold", "folding"}


def test_a_bank_valid_once_skips_the_schema_import_until_it_changes(sample, write_bank) -> None:
    """The start-up cache: keyed by content, so an edited bank is validated again."""
    import subprocess
    import sys

    path = write_bank(sample)
    code = (
        "import sys\nfrom quiz.bank import load_bank\nfrom pathlib import Path\n"
        f"load_bank(Path({str(path)!r}))\nprint('jsonschema' in sys.modules)\n"
    )

    def loads_schema() -> bool:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip() == "True"

    assert loads_schema() is True  # first sight: validated
    assert loads_schema() is False  # unchanged: remembered
    del sample["questions"][0]["options"][0]["explain"]
    broken = write_bank(sample)
    with pytest.raises(BankError, match=r"\$\.questions\[0\]\.options\[0\]: 'explain' is a required property"):
        load_bank(broken)
