"""Tray Agent's sample task: a tiny "training" loop with no external packages.

`tray-agent up` puts this folder in a local git repository and enqueues it, so a fresh machine
runs one task end to end: checkout, environment, launch, live log, final status.
"""
import argparse
import math
import os
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds per epoch")
    args = parser.parse_args()

    print(f"hello from task {os.environ.get('CLEARML_TASK_ID', '(local run)')}")
    print(f"python {sys.version.split()[0]}, GPUs: {os.environ.get('CUDA_VISIBLE_DEVICES', '(none set)')}")
    loss = 1.0
    for epoch in range(1, args.epochs + 1):
        loss *= math.exp(-args.lr)
        print(f"epoch {epoch}/{args.epochs} loss={loss:.4f}", flush=True)
        time.sleep(args.delay)
    print("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
