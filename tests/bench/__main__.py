"""`make bench`: every benchmark, printing figures and ratios (never asserted in tests)."""

from tests.bench import core

if __name__ == "__main__":
    core.main()
