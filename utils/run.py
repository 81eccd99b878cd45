#!/usr/bin/env python3
"""Job launcher with the Kaldi calling convention (see `utils/run.py --help`); recipes use it via cmd.sh.

The logic lives in sqe.dispatch; this file only makes it runnable as a path, like Kaldi's utils/run.pl.
"""
import sys

from sqe.dispatch.launcher_args import main

sys.exit(main())
