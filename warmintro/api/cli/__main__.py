from warmintro.api.cli import main

main()
