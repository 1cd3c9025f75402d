from graph_service.cli import main

main()
