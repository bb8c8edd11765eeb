"""Where a py-spy profile's time went: the functions most often on the stack (inclusive) and
at its top (self), as percentages of the samples.

    .venv/bin/python -m bench.profile_summary profile.txt [--within TEXT] [--top N]

The profile is py-spy's collapsed-stack output (`py-spy record -f raw`, as `bench.inbound
--profile` writes). `--within` keeps only the samples whose stack mentions TEXT (a function
such as `Engine.handle`, to see one thread's work).
"""

import argparse
import re
from collections import Counter
from pathlib import Path

_LOCATION = re.compile(r" \((?:.*/site-packages/|/work/[^/]+/)?(.*?):\d+\)")


def frames(stack: str) -> list[str]:
    """Each frame as `function (file)`, without line numbers or the checkout's path."""
    return [_LOCATION.sub(r" (\1)", frame) for frame in stack.split(";")]


def summary(lines: list[str], within: str = "", top: int = 30) -> str:
    """The report for the collapsed stacks `lines` ("frame;frame;... count" each)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count = line.strip().rpartition(" ")
        if not stack or (within and within not in stack):
            continue
        samples = int(count)
        total += samples
        named = frames(stack)
        for name in set(named):
            inclusive[name] += samples
        own[named[-1]] += samples
    if not total:
        return "no samples"
    report = [f"{total} samples", "inclusive:"]
    report += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    report.append("self:")
    report += [f"  {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top // 2)]
    return "\n".join(report)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--within", default="", help="only stacks mentioning this text")
    parser.add_argument("--top", type=int, default=30, help="functions listed")
    arguments = parser.parse_args()
    lines = arguments.profile.read_text().splitlines()
    print(summary(lines, arguments.within, arguments.top))


if __name__ == "__main__":
    main()
