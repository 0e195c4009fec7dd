from georisk.cli import main

raise SystemExit(main())
