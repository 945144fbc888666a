from services.cost.app import main

main()
