import sys

from trayapp.entry import main

sys.exit(main())
