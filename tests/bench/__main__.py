"""`make bench`: every benchmark, printing figures and ratios (never asserted in tests).

Each benchmark prints its detail and returns its headline figures; the run ends with one
table of them beside the floors measured in the same run (tests/bench/summary.py).
"""

from tests.bench import (
    circle_round,
    cold_start,
    core,
    first_request,
    flash_sale,
    long_stream,
    referral_commission,
    summary,
    webhook_latency,
)

if __name__ == "__main__":
    figures: list[summary.Figure] = []
    for run in (
        core.main,
        lambda: long_stream.main([]),
        lambda: cold_start.main([]),
        lambda: first_request.main([]),
        webhook_latency.main,
        flash_sale.main,
        lambda: circle_round.main([]),
        lambda: referral_commission.main([]),
    ):
        figures += run()
        print()
    print(summary.render(figures))
