import sys

from qsnn.cli import main

sys.exit(main())
