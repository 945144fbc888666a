from services.monitoring.app import main

main()
