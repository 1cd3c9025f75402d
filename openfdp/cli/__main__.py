from openfdp.cli import main

main()
