from services.packaging.app import main

main()
