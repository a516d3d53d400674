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
        (lambda b: b["questions"][2].pop("decimals"), "$.questions[2]", "'decimals' is a required"),
        (lambda b: b["questions"][2].update(decimals=1.5), "$.questions[2].decimals", "not of type 'integer'"),
        (lambda b: b["questions"][2].update(decimals=-1), "$.questions[2].decimals", "less than the minimum"),
        (lambda b: b["questions"][2].pop("misconceptions"), "$.questions[2]", "'misconceptions' is a required"),
        (lambda b: b["questions"][3].update(misconceptions=[]), "$.questions[3].misconceptions", "non-empty"),
        (
            lambda b: b["questions"][2]["misconceptions"][0].update(answer="8"),
            "$.questions[2].misconceptions[0].answer",
            "not of type 'number'",
        ),
        (
            lambda b: b["questions"][3]["misconceptions"][0].update(answer=3),
            "$.questions[3].misconceptions[0].answer",
            "not of type 'string'",
        ),
        (
            lambda b: b["questions"][3]["misconceptions"][0].update(why="x"),
            "$.questions[3].misconceptions[0]",
            "'why' was unexpected",
        ),
        (lambda b: b["exercises"][0].update(level="hard"), "$.exercises[0].level", "'hard'"),
        (lambda b: b["exercises"][0].pop("reference"), "$.exercises[0]", "'reference' is a required"),
        (lambda b: b["exercises"][0].update(reference="concepts.sample"), "$.exercises[0].reference", "match"),
        (lambda b: b["exercises"][0].update(function="scale-scores"), "$.exercises[0].function", "match"),
        (lambda b: b["exercises"][0].update(minutes="15"), "$.exercises[0].minutes", "not of type 'integer'"),
        (lambda b: b["exercises"][0].update(hint="x"), "$.exercises[0]", "'hint' was unexpected"),
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
        # The key written to the precision the prompt asks for must be graded right.
        (lambda b: b["questions"][2].update(decimals=2), "$.questions[2].decimals", "written to 2 decimal place(s)"),
        # A tolerance must not accept a listed misconception.
        (
            lambda b: b["questions"][2]["misconceptions"][0].update(answer=0.125 + 1e-12),
            "$.questions[2].misconceptions[0].answer",
            "within the tolerance of the key",
        ),
        # Nor may the misconception, written to the asked precision, round onto the key.
        (
            lambda b: (
                b["questions"][2].update(decimals=2, abs_tol=0.006)
                or b["questions"][2]["misconceptions"][1].update(answer=0.1251)
            ),
            "$.questions[2].misconceptions[1].answer",
            "within the tolerance",
        ),
        # accept/regex must reject every text misconception.
        (
            lambda b: b["questions"][3]["misconceptions"][0].update(answer="RMS  norm"),
            "$.questions[3].misconceptions[0].answer",
            "accepted by accept/regex",
        ),
        (
            lambda b: b["exercises"][0].update(id="sample.pick"),
            "$.exercises[0].id",
            "exercise ids must differ from question ids",
        ),
        (lambda b: b["exercises"][0].update(id="other.scale"), "$.exercises[0].id", "must start with 'sample.'"),
        (
            lambda b: b["exercises"].append(dict(b["exercises"][0])),
            "$.exercises[1].id",
            "duplicate id 'sample.scale'",
        ),
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


def test_half_up_and_half_even_keys_must_both_be_right(sample) -> None:
    """0.125 to two places is 0.13 by hand and 0.12 by round(): a tolerance must take both."""
    q = sample["questions"][2]
    q.update(decimals=2, abs_tol=0.0051)
    assert list(check_rules(sample)) == []
    q.update(abs_tol=0.004)
    problems = list(check_rules(sample))
    assert problems and problems[0][0] == "$.questions[2].decimals" and "'0.13'" in problems[0][1]


def test_exercise_ids_are_unique_across_banks_and_distinct_from_questions(sample, write_bank) -> None:
    first = write_bank(sample)
    other = dict(sample, concept="other", questions=[], interview=[])
    other["questions"] = [dict(q, id=q["id"].replace("sample.", "other.")) for q in sample["questions"]]
    other["questions"][0] = dict(other["questions"][0], options=sample["questions"][0]["options"])
    other["exercises"] = [dict(sample["exercises"][0], id="other.scale")]
    assert validate_files([first, write_bank(other, "other")]) == []
    other["exercises"][0]["id"] = "other.pick"  # a question's id in the same bank
    problems = validate_files([first, write_bank(other, "other")])
    assert any("other.json: $.exercises[0].id" in p and "question ids" in p for p in problems), problems


def test_exercise_source_must_be_on_the_page(sample, tmp_path) -> None:
    import json

    (tmp_path / "docs" / "concepts").mkdir(parents=True)
    (tmp_path / "docs" / "concepts" / "sample.md").write_text("# Sample\n\n## The math\n\n## Intuition\n")
    banks = tmp_path / "quiz" / "banks"
    banks.mkdir(parents=True)
    sample["exercises"][0]["source"] = "nowhere"
    (banks / "sample.json").write_text(json.dumps(sample))
    problems = validate_files([banks / "sample.json"])
    assert len(problems) == 1 and "$.exercises[0].source: no section or target 'nowhere'" in problems[0], problems


def test_ids_must_be_unique_across_banks(sample, write_bank) -> None:
    first = write_bank(sample)
    other = dict(sample, concept="other")
    other["questions"] = [dict(q, id=q["id"].replace("sample.", "other.")) for q in sample["questions"]]
    other["questions"][0]["id"] = "other.pick"
    other["interview"] = []
    other["exercises"] = [dict(sample["exercises"][0], id="other.scale")]
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
