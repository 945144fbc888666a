from services.validation.app import main

main()
