from services.provisioning.app import main

main()
