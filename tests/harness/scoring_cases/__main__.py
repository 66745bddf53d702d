"""``python -m tests.harness.scoring_cases``: write fixtures/scoring/cases/ from the cases."""

from __future__ import annotations

from tests.harness.scoring_cases.files import write_files

if __name__ == "__main__":
    written = write_files()
    print(f"wrote {written} cases")
