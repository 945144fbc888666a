"""`python -m services.cli.asyncapi`: write proto/asyncapi.yaml from the code."""

from services.cli.asyncapi import DOCUMENT
from services.cli.asyncapi.document import render


def main() -> None:
    text = render()
    changed = not DOCUMENT.exists() or DOCUMENT.read_text() != text
    DOCUMENT.write_text(text)
    print(f"{DOCUMENT}: {'updated' if changed else 'unchanged'}")


if __name__ == "__main__":
    main()
