"""Split a Q&A set once, at random, into a dev part (tune on it) and a frozen test part (report it, never tune to it).

    python -m eval.split eval/datasets/ntm_officer.jsonl PART.jsonl [PART.jsonl ...] --test-share 0.4 --seed 11

writes the parts' items, in order, with `split` set on every line. A file whose items already carry a split is
never split again (the command refuses), so the test part stays the one drawn the first time.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from eval.dataset import load_dataset, to_dict

TEST_SHARE = 0.4  # about 40% of the items are the frozen test part
SEED = 11  # the seed of the one split, recorded here so the draw can be checked


def assign_splits(n: int, test_share: float = TEST_SHARE, seed: int = SEED) -> list[str]:
    """"dev" or "test" for each of n items: round(n × test_share) test items drawn uniformly at random."""
    test = set(random.Random(seed).sample(range(n), round(n * test_share)))
    return ["test" if i in test else "dev" for i in range(n)]


def main(argv: list[str] | None = None) -> int:
    """Command line: merge the parts and record a split on every item; refuses to split a split set again."""
    parser = argparse.ArgumentParser(prog="python -m eval.split", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the dataset file to write (must not exist yet)")
    parser.add_argument("parts", type=Path, nargs="+", help="JSONL files of items without a split")
    parser.add_argument("--test-share", type=float, default=TEST_SHARE)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    if args.out.exists():
        print(f"error: {args.out} exists; a set is split once and its test part is never redrawn", file=sys.stderr)
        return 1
    items = [item for part in args.parts for item in load_dataset(part)]
    if any(item.split for item in items):
        print("error: some items already carry a split; a set is split once", file=sys.stderr)
        return 1
    rows = [to_dict(item) | {"split": split} for item, split in zip(items, assign_splits(len(items), args.test_share,
                                                                                          args.seed))]
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{args.out}: {len(rows)} items, {sum(r['split'] == 'test' for r in rows)} in the frozen test part")
    return 0


if __name__ == "__main__":
    sys.exit(main())
