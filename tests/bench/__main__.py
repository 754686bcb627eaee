"""`make bench`: every benchmark, printing figures and ratios (never asserted in tests)."""

from tests.bench import circle_round, cold_start, core, flash_sale, long_stream, webhook_latency

if __name__ == "__main__":
    core.main()
    print()
    long_stream.main([])
    print()
    cold_start.main([])
    print()
    webhook_latency.main()
    print()
    flash_sale.main()
    print()
    circle_round.main([])
