import sys

from srdi.cli import main

sys.exit(main())
