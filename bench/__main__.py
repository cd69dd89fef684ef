"""python -m bench run [--quick] [--regenerate] [--profile] [--only web,pipeline,campaign,reports,evidence,exports,import]
python -m bench chaos [--quick] [--runs N] [--messages N] [--faults worker,redis,postgres,beat]
python -m bench generate [--quick]"""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="generate data (unless already there) and run every scenario")
    p.add_argument("--quick", action="store_true", help="a tenth of the data, shorter load runs")
    p.add_argument("--regenerate", action="store_true", help="rebuild the bench databases even if present")
    p.add_argument("--profile", action="store_true", help="py-spy the queue page and the pipeline")
    p.add_argument("--only", default="", help="comma-separated: web, pipeline, campaign, reports, evidence, exports, import")
    p.add_argument("--messages", type=int, default=None, help="pipeline size (default 10,000; 2,000 with --quick)")
    g = sub.add_parser("generate", help="only build the bench databases")
    g.add_argument("--quick", action="store_true")
    c = sub.add_parser("chaos", help="faults during message runs; counts deliveries at the gateway")
    c.add_argument("--quick", action="store_true")
    c.add_argument("--runs", type=int, default=None)
    c.add_argument("--messages", type=int, default=None)
    c.add_argument("--faults", default="worker,redis,postgres,beat")
    args = parser.parse_args(argv)
    if args.command == "run":
        from bench.run import run

        run(args.quick, args.regenerate, args.profile, set(filter(None, args.only.split(","))) or None,
            args.messages)
    elif args.command == "generate":
        from bench import datagen
        from bench.run import ensure_data

        size = datagen.Size.quick() if args.quick else datagen.Size.full()
        suffix = "_quick" if args.quick else ""
        ensure_data(f"sila_bench{suffix}", size, True)
        ensure_data(f"sila_bench10{suffix}", size.ten(), True)
    else:
        from bench.chaos import main as chaos

        return chaos(args.quick, args.runs, args.messages, args.faults.split(","))
    return 0


if __name__ == "__main__":
    sys.exit(main())
